"""The server's limits and the soak's report without a server: the flood gate on a virtual clock, places held and given back."""

import pytest

from parley.voice.app.measure.soak import Window, render, report
from parley.voice.app.server.limits import FloodGate, Limits
from parley.voice.app.settings import ServerConfig
from parley.voice.protocol import ProtocolError


def test_the_flood_gate_allows_a_burst_then_the_rate():
    now = [0.0]
    gate = FloodGate(10, clock=lambda: now[0])
    assert sum(gate.allow() for _ in range(30)) == 20  # two seconds' worth at once
    now[0] += 1.0
    assert sum(gate.allow() for _ in range(30)) == 10  # then ten a second


def test_places_are_held_per_address_and_client_and_given_back():
    limits = Limits(ServerConfig(max_sessions=16, max_per_address=1, max_per_client=1, max_messages_per_second=50))
    with limits.address("10.0.0.1"), limits.client("a"):
        with pytest.raises(ProtocolError, match="connections from one address"), limits.address("10.0.0.1"):
            pass
        with pytest.raises(ProtocolError, match="calls under one client id"), limits.client("a"):
            pass
        with limits.address("10.0.0.2"), limits.client("b"):
            pass
    assert not limits.addresses and not limits.clients  # nothing kept for addresses that have gone
    with limits.address("10.0.0.1"), limits.client("a"):
        pass


def test_a_soak_report_compares_the_last_window_with_the_first():
    windows = [Window(10.0 * (i + 1), calls=3, turns=[400.0 + i, 500.0],
                      process={"rss_mb": 500.0 + 10 * i, "open_files": 20, "threads": 9, "db_kb": 100.0 * (i + 1)})
               for i in range(6)]
    result = report(2, 60, {"rss_mb": 450.0}, windows)
    assert result["rss_drift"] == 0.1 and result["p50_drift"] == round(452.5 / 450 - 1, 3)
    assert "RSS +10.0%" in render(result) and len(result["windows"]) == 6


def test_the_servers_c_heap_is_bounded_and_trimmed_on_glibc():
    """Debian's glibc: the arena limit takes, and a trim runs (whether it freed anything or not)."""
    from parley.voice.heap import give_back_freed, limit_arenas

    assert limit_arenas() is True
    assert give_back_freed() in (True, False)
