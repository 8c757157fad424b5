"""`parley bench --clients N`: simulated browsers stream real speech to a `parley serve` process at once,
1, 2, 4 ... N of them: the capacity curve, and the capacity (the most callers with turn p95 within 1 s)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import tomllib
from pathlib import Path

from parley.voice import protocol
from parley.voice.app.measure import client
from parley.voice.app.measure.scores import stats
from parley.voice.app.measure.utterances import synthetic_utterances
from parley.voice.app.settings import Config
from parley.voice.app.wiring import load_engines

STAGGER_SECONDS = 0.3  # clients join a little apart, as people do, not in lock-step
CAPACITY_P95_MS = 1000.0  # a line is within capacity while 95% of turns are answered within a second


async def run_clients(urls: list[str], count: int, lines: list, rate: int) -> list[client.ClientCall]:
    """`count` callers at once, taking `urls` in turn."""
    async def one(number: int) -> client.ClientCall:
        await asyncio.sleep(number * STAGGER_SECONDS)
        return await client.call(urls[number % len(urls)], lines, f"load-{count}-{number}", rate)

    return await asyncio.gather(*(one(number) for number in range(count)))


def summarize(calls: list[client.ClientCall], expected_turns: int) -> dict:
    turns = [m.latency for call in calls for m in call.of_type(protocol.TurnTimed)]
    errors = [m.code for call in calls for m in call.of_type(protocol.ErrorMessage)]
    return {
        "clients": len(calls),
        "turns": len(turns),
        "turns_expected": expected_turns * len(calls),
        "turn_latency_ms": stats([t["total_ms"] for t in turns]),  # as the server measures it
        "client_latency_ms": stats([ms for call in calls for ms in call.client_latency_ms]),  # at the client
        "stt_compute_ms": stats([t["stt_compute_ms"] for t in turns]),
        "stt_wait_ms": stats([t.get("stt_wait_ms", 0.0) for t in turns]),  # in the shared queue, behind others' turns
        "speculated_share": round(sum(bool(t.get("speculated")) for t in turns) / len(turns), 3) if turns else None,
        "endpoint_wait_ms": stats([t["endpoint_wait_ms"] for t in turns]),
        "errors": errors,
    }


def levels(clients: int) -> list[int]:
    """1, 2, 4 ... and `clients` itself."""
    return sorted({*(2**k for k in range(clients.bit_length()) if 2**k <= clients), clients})


def capacity(runs: list[dict]) -> int:
    """The most callers at once whose turns all came back, p95 within CAPACITY_P95_MS; 0 if none."""
    within = [run["clients"] for run in runs if run["turns"] >= run["turns_expected"]  # a split turn answers twice
              and (run["turn_latency_ms"]["p95"] or float("inf")) <= CAPACITY_P95_MS]
    return max(within, default=0)


def start_server(config_path: Path | None, db: Path, env: dict | None = None, cores: set[int] | None = None,
                 port: int = 0) -> tuple[subprocess.Popen, str]:
    """`parley serve` on `port` (0: a free one), in its own process, as users run it (on `cores`, if given);
    returns once it listens."""
    command = [sys.executable, "-m", "parley.voice.app.cli", "--db", str(db)]
    if config_path is not None:
        command += ["--config", str(config_path)]
    process = subprocess.Popen([*command, "serve", "--port", str(port)], stdout=subprocess.PIPE, text=True, env=env)
    if cores:  # pinned from outside, not in a preexec_fn (unsafe after our model threads exist); the child's
        os.sched_setaffinity(process.pid, cores)  # threads start later, at model load, and inherit it
    assert process.stdout is not None  # a pipe was asked for
    for line in process.stdout:
        found = re.search(r"http://([^/]+)/", line)
        if found:
            threading.Thread(target=process.stdout.read, daemon=True).start()  # keep its pipe from filling
            return process, f"ws://{found.group(1)}/ws"
    raise RuntimeError(f"parley serve exited with {process.wait()} before listening")


def loopback_config(config_path: Path | None, clients: int, folder: Path) -> Path:
    """The config the server is started with: the user's, letting `clients` simulated callers in
    from one address (loopback) at once, as many real callers would come from many."""
    table = tomllib.loads(config_path.read_text()) if config_path else {}
    server = table.setdefault("server", {})
    server["max_per_address"] = max(server.get("max_per_address", 0), clients)
    path = folder / "bench.toml"
    path.write_text("\n".join(f"[{name}]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in keys.items())
                              for name, keys in table.items()))  # JSON's strings, numbers and booleans are TOML's
    return path


async def run_load(config: Config, config_path: Path | None, clients: int, turns: int, urls: list[str]) -> dict:
    """The curve against `urls`, or against a server started here for the purpose."""
    rate = config.audio.sample_rate
    lines = [u.audio for u in synthetic_utterances(load_engines(config), turns, rate)]
    if urls:
        return await _curve(urls, clients, lines, rate, turns)
    with tempfile.TemporaryDirectory() as scratch:
        server, url = start_server(loopback_config(config_path, clients, Path(scratch)), Path(scratch) / "load.db")
        try:
            return await _curve([url], clients, lines, rate, turns)
        finally:
            server.terminate()
            server.wait(timeout=30)


async def _curve(urls: list[str], clients: int, lines: list, rate: int, turns: int) -> dict:
    runs = [summarize(await run_clients(urls, count, lines, rate), turns) for count in levels(clients)]
    return {"runs": runs, "capacity": capacity(runs), "capacity_rule": f"turn p95 <= {CAPACITY_P95_MS:.0f} ms"}


def render(report: dict) -> str:
    rows = [f"{'clients':>7} {'turns':>9} {'turn p50':>9} {'p95':>6} {'client p50':>11} {'p95':>6} "
            f"{'STT p50':>8} {'p95':>6} {'queue p95':>10} {'speculated':>11}   (ms)"]
    for run in report["runs"]:
        rows.append(f"{run['clients']:>7} {run['turns']:>4}/{run['turns_expected']:<4} "
                    f"{_ms(run['turn_latency_ms']['p50']):>9} {_ms(run['turn_latency_ms']['p95']):>6} "
                    f"{_ms(run['client_latency_ms']['p50']):>11} {_ms(run['client_latency_ms']['p95']):>6} "
                    f"{_ms(run['stt_compute_ms']['p50']):>8} {_ms(run['stt_compute_ms']['p95']):>6} "
                    f"{_ms(run['stt_wait_ms']['p95']):>10} {run['speculated_share'] or 0:>11.0%}")
        if run["errors"]:
            rows.append(f"        errors: {', '.join(run['errors'])}")
    rows.append(("turn: last speech sample -> first reply audio sent (server); "
                 "client: last voiced frame sent -> first reply audio received"))
    rows.append(f"capacity: {report['capacity']} callers at once ({report['capacity_rule']})")
    return "\n".join(rows)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def main(config: Config, config_path: Path | None, clients: int, turns: int, as_json: bool,
         urls: list[str] | None = None) -> int:
    report = asyncio.run(run_load(config, config_path, clients, turns, urls or []))
    print(json.dumps(report, indent=2) if as_json else render(report))
    return 0
