"""The bad line: its seeded schedule of losses, delays and reordering, and the UDP relay that applies it."""

import asyncio
import socket

import pytest

from parley.voice.app.measure.bad_line import PACKET_SECONDS, BadLine, Impairment, Schedule


def delays(impairment: Impairment, packets: int = 20000) -> list[float | None]:
    schedule = Schedule(impairment)
    return [schedule.next_delay() for _ in range(packets)]


def loss_runs(schedule: list[float | None]) -> list[int]:
    runs, run = [], 0
    for delay in schedule:
        if delay is None:
            run += 1
        elif run:
            runs, run = runs + [run], 0
    return runs


@pytest.mark.parametrize("pct, burst", [(1, 1), (3, 1), (5, 1), (3, 3), (5, 4)])
def test_the_line_loses_the_share_asked_for_in_runs_of_the_length_asked_for(pct, burst):
    schedule = delays(Impairment(loss_pct=pct, burst=burst))
    runs = loss_runs(schedule)
    assert sum(runs) / len(schedule) == pytest.approx(pct / 100, rel=0.2)
    assert sum(runs) / len(runs) == pytest.approx(burst, rel=0.2)


def test_a_clean_line_passes_every_packet_at_once():
    assert set(delays(Impairment(), 1000)) == {0.0}


def test_jitter_delays_each_packet_within_its_bound_and_reorders_some():
    schedule = delays(Impairment(jitter_ms=80), 5000)
    assert all(0 <= delay <= 0.08 for delay in schedule) and max(schedule) > 0.07
    arrivals = [n * PACKET_SECONDS + delay for n, delay in enumerate(schedule)]
    assert arrivals != sorted(arrivals)


def test_reordered_packets_are_overtaken_by_the_next_ones():
    schedule = delays(Impairment(reorder_pct=5), 5000)
    held = [n for n, delay in enumerate(schedule) if delay]
    assert len(held) / len(schedule) == pytest.approx(0.05, rel=0.2)
    assert all(delay > 2 * PACKET_SECONDS for delay in schedule if delay)


def test_the_same_seed_gives_the_same_line_and_another_seed_another():
    line = Impairment(loss_pct=3, jitter_ms=40, reorder_pct=1)
    assert delays(line, 500) == delays(line, 500)
    assert delays(line, 500) != delays(Impairment(loss_pct=3, jitter_ms=40, reorder_pct=1, seed=2), 500)


def udp() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


async def received(sock: socket.socket, seconds: float = 0.5) -> list[bytes]:
    await asyncio.sleep(seconds)
    got = []
    while True:
        try:
            got.append(sock.recv(2048))
        except BlockingIOError:
            return got


def test_the_relay_carries_both_ways_and_loses_what_its_schedule_loses():
    """A phone and a Parley as two plain UDP sockets: the relay passes each way, Parley hears the
    phone's packets from the address it sends to, and a lossy line drops its share."""
    async def exchange(impairment: Impairment):
        phone, parley, line = udp(), udp(), BadLine(impairment)
        await line.open(phone.getsockname())
        line.reaches(parley.getsockname())
        for n in range(200):
            phone.sendto(b"to parley %d" % n, ("127.0.0.1", line.phone_side_port))
        parley.sendto(b"to phone", ("127.0.0.1", line.parley_side_port))
        got_parley, got_phone = await received(parley), await received(phone)
        line.close()
        return got_parley, got_phone, line.counts()

    clean, back, counts = asyncio.run(exchange(Impairment()))
    assert clean == [b"to parley %d" % n for n in range(200)] and back == [b"to phone"]
    lossy, _, counts = asyncio.run(exchange(Impairment(loss_pct=10, seed=3)))
    assert len(lossy) == counts["to_parley"]["passed"] == 200 - counts["to_parley"]["lost"] and 5 < counts["to_parley"]["lost"] < 40
