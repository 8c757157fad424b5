"""`parley bench --clients N --minutes M`: calls back to back against one `parley serve` for M minutes,
the server's memory, open files, threads, database size and turn latency reported per sixth of the run."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from parley.voice import protocol
from parley.voice.app.measure import client
from parley.voice.app.measure.load import start_server
from parley.voice.app.measure.scores import stats
from parley.voice.app.measure.utterances import synthetic_utterances
from parley.voice.app.settings import Config
from parley.voice.app.wiring import load_engines

WINDOWS = 6  # an hour's run is read in 10-minute windows
DRIFT_LIMIT = 0.10  # the last window against the first: RSS and latency p50 may move this much


@dataclass
class Window:
    """What one stretch of the run saw: the server sampled at its end, the turns of the calls ended in it."""

    minute: float
    calls: int = 0
    turns: list[float] = field(default_factory=list)
    process: dict = field(default_factory=dict)


def sample(pid: int, db: Path) -> dict:
    """The server process as an operator would look at it, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
    files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    return {"rss_mb": round(rss_kb / 1024, 1), "open_files": len(os.listdir(f"/proc/{pid}/fd")),
            "threads": len(os.listdir(f"/proc/{pid}/task")),
            "db_kb": round(sum(f.stat().st_size for f in files if f.exists()) / 1024, 1)}


async def call_until(url: str, lines: list, rate: int, number: int, deadline: float, windows: list[Window],
                     window_seconds: float, started: float) -> None:
    """One simulated caller: a call, then the next, until the deadline; each call's turns go to the
    window it ended in."""
    calls = 0
    while time.monotonic() < deadline:
        result = await client.call(url, lines, f"soak-{number}-{calls}", rate)
        calls += 1
        window = windows[min(int((time.monotonic() - started) / window_seconds), len(windows) - 1)]
        window.calls += 1
        window.turns += [m.latency["total_ms"] for m in result.of_type(protocol.TurnTimed)]


async def watch(pid: int, db: Path, windows: list[Window], window_seconds: float) -> None:
    for window in windows:
        await asyncio.sleep(window_seconds)
        window.process = sample(pid, db)


async def run_soak(config: Config, config_path: Path | None, clients: int, minutes: float, turns: int) -> dict:
    rate, seconds = config.audio.sample_rate, minutes * 60
    lines = [u.audio for u in synthetic_utterances(load_engines(config), turns, rate)]
    windows = [Window(round(minutes * (i + 1) / WINDOWS, 1)) for i in range(WINDOWS)]
    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "soak.db"
        server, url = start_server(config_path, db)
        try:
            started = time.monotonic()
            before = sample(server.pid, db)
            await asyncio.gather(watch(server.pid, db, windows, seconds / WINDOWS),
                                 *(call_until(url, lines, rate, n, started + seconds, windows, seconds / WINDOWS, started)
                                   for n in range(clients)))
        finally:
            server.terminate()
            server.wait(timeout=30)
    return report(clients, minutes, before, windows)


def report(clients: int, minutes: float, before: dict, windows: list[Window]) -> dict:
    rows = [{"minute": w.minute, "calls": w.calls, "turns": len(w.turns), **stats(w.turns), **w.process}
            for w in windows]
    first, last = rows[0], rows[-1]
    return {"clients": clients, "minutes": minutes, "at_start": before, "windows": rows,
            "rss_drift": _drift(first["rss_mb"], last["rss_mb"]), "p50_drift": _drift(first["p50"], last["p50"])}


def _drift(first: float | None, last: float | None) -> float | None:
    return round(last / first - 1, 3) if first and last is not None else None


def render(report: dict) -> str:
    lines = [f"{report['clients']} callers back to back for {report['minutes']} minutes; the server at the start: "
             f"{report['at_start']}", "",
             f"{'minute':>6} {'calls':>5} {'turns':>5} {'p50 ms':>7} {'p95 ms':>7} {'RSS MB':>7} {'files':>5} "
             f"{'threads':>7} {'db KB':>7}"]
    for row in report["windows"]:
        lines.append(f"{row['minute']:>6} {row['calls']:>5} {row['turns']:>5} {_n(row['p50']):>7} {_n(row['p95']):>7} "
                     f"{_n(row.get('rss_mb')):>7} {_n(row.get('open_files')):>5} {_n(row.get('threads')):>7} "
                     f"{_n(row.get('db_kb')):>7}")
    lines.append(f"\nlast window against the first: RSS {_pct(report['rss_drift'])}, latency p50 {_pct(report['p50_drift'])} "
                 f"(the limit: {DRIFT_LIMIT:.0%} each)")
    return "\n".join(lines)


def _n(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1%}"


def main(config: Config, config_path: Path | None, clients: int, minutes: float, turns: int, as_json: bool) -> int:
    result = asyncio.run(run_soak(config, config_path, clients, minutes, turns))
    print(json.dumps(result, indent=2) if as_json else render(result))
    return 0
