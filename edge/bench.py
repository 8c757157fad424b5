"""`parley edge bench`: turn latency with the dialogue on a server over a WebSocket, against all on the device."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import tempfile
from pathlib import Path

from parley.edge.run import satellite_brain
from parley.voice.app.measure.bench import run_pipeline
from parley.voice.app.measure.load import start_server
from parley.voice.app.measure.utterances import synthetic_utterances
from parley.voice.app.settings import Config
from parley.voice.app.wiring import load_engines


async def run_edge_bench(config: Config, config_path: Path | None, turns: int) -> dict:
    """The bench utterances through the embedded brain on the device, then through a satellite whose
    server runs as its own process, on the cores this process may not use when there are any (so
    `taskset -c 0 parley edge bench` stands in for a one-core device beside a bigger server)."""
    engines = load_engines(config)
    utterances = synthetic_utterances(engines, turns, config.audio.sample_rate)
    on_device = await run_pipeline(config, engines, utterances, streaming=True)
    mine = os.sched_getaffinity(0)
    others = set(range(os.cpu_count() or 1)) - mine
    token = secrets.token_hex(8)
    with tempfile.TemporaryDirectory() as scratch:
        server, url = start_server(config_path, Path(scratch) / "server.db", {**os.environ, "PARLEY_TOKEN": token},
                                   others or None)
        try:
            async with satellite_brain(config, url, "bench-satellite", token, Path(scratch), connect_seconds=30) as brain:
                split = await run_pipeline(config, engines, utterances, streaming=True, brain=brain)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {"device_cores": sorted(mine), "server_cores": sorted(others or mine), "utterances": len(utterances),
            "on_device": _brief(on_device), "satellite": _brief(split)}


def _brief(summary: dict) -> dict:
    return {"turns": summary["turns"], "turn_latency_ms": summary["turn_latency_ms"],
            "dialogue_ms": summary["stages_ms"]["dialogue"], "stt_compute_ms": summary["stages_ms"]["stt_compute"],
            "false_endpoint_rate": summary["false_endpoint_rate"], "wer": summary["wer"]}


def render(report: dict) -> str:
    rows = [f"device cores {report['device_cores']}, server cores {report['server_cores']}, "
            f"{report['utterances']} utterances", f"{'ms':<26}{'turn p50':>9}{'p95':>7}{'dialogue p50':>14}{'p95':>7}"]
    for name, key in (("all on the device", "on_device"), ("satellite + server", "satellite")):
        run = report[key]
        rows.append(f"{name:<26}{run['turn_latency_ms']['p50']:>9.0f}{run['turn_latency_ms']['p95']:>7.0f}"
                    f"{run['dialogue_ms']['p50']:>14.1f}{run['dialogue_ms']['p95']:>7.1f}")
    return "\n".join(rows)


def main(config: Config, config_path: Path | None, turns: int, as_json: bool) -> int:
    report = asyncio.run(run_edge_bench(config, config_path, turns))
    print(json.dumps(report, indent=2) if as_json else render(report))
    return 0
