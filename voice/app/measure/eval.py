"""`parley eval`: scenarios played through the whole audio pipeline, scored, and reported."""

from __future__ import annotations

import asyncio
import json
import re
import tomllib
from dataclasses import asdict
from datetime import datetime
from importlib import resources
from pathlib import Path

import numpy as np

from configs.files import ConfigError
from dialogue.types import Transport
from memory.db import delete_db, open_db
from voice.app.measure.caller import ScriptedCaller
from voice.app.measure.report import write_report
from voice.app.measure.scores import stats, word_error_rate
from voice.app.measure.utterances import with_noise
from voice.app.measure.voices import CallerVoice
from voice.app.wiring import load_engines, voice_call
from voice.audio import AudioFormat
from voice.config import Config, load_config
from voice.events import (
    AgentTextEvent,
    BargeInEvent,
    Event,
    TranscriptEvent,
    TurnLatencyEvent,
)
from voice.reply import Engines
from voice.streams import PacedSpeaker
from voice.wav import read_mono16

PLAYBACK_SPEED = 4.0  # Parley's replies play faster than real time; the caller still speaks in real time


def load_scenarios(path: Path | None) -> list[dict]:
    source = path.read_text(encoding="utf-8") if path else (resources.files("configs") / "scenarios.toml").read_text()
    try:
        scenarios = tomllib.loads(source)["scenario"]
    except (tomllib.TOMLDecodeError, KeyError) as error:
        raise ConfigError(f"{path or 'configs/scenarios.toml'}: not a scenario file ({error})") from None
    return scenarios


async def run_call(config: Config, engines: Engines, db: Path, lines: list[str], now: datetime,
                   noise_snr_db: float | None, recordings: list[Path | None], voice: CallerVoice) -> dict:
    """One call: the caller's lines (recorded, or synthesized in `voice`) spoken into a live session;
    what was heard, said and timed."""
    rate = config.audio.sample_rate
    audio = [read_mono16(wav, rate).to_array() if wav else voice.speak(engines, [text], rate)[0]
             for text, wav in zip(lines, recordings)]
    if noise_snr_db is not None:
        rng = np.random.default_rng(5)
        audio = [with_noise(line, noise_snr_db, rng) for line in audio]
    speaker = PacedSpeaker(AudioFormat(rate), config.session.playback_ahead_ms / 1000, PLAYBACK_SPEED)
    caller = ScriptedCaller(audio, speaker, rate, config.audio.chunk_ms, greeted=True)
    heard: list[list[str]] = [[] for _ in lines]
    replies: list[list[str]] = [[] for _ in lines]
    traces: list[dict | None] = [None] * len(lines)
    barge_ins = 0

    def on_event(event: Event) -> None:
        nonlocal barge_ins
        line = caller.line_index
        if line < 0:
            return  # the greeting
        if isinstance(event, TranscriptEvent):
            heard[line].append(event.text)
        elif isinstance(event, AgentTextEvent):
            replies[line].append(event.text)
        elif isinstance(event, TurnLatencyEvent) and traces[line] is None:
            traces[line] = asdict(event.trace)
        elif isinstance(event, BargeInEvent):
            barge_ins += 1

    async with voice_call(config, engines, caller, speaker, on_event, db=db, transport=Transport.EVAL,
                          clock=lambda: now) as call:
        await call.run()
    return {"turns": [{"said": said, "heard": " ".join(h), "reply": " ".join(r), "trace": t, "audio": a}
                      for said, h, r, t, a in zip(lines, heard, replies, traces, audio)],
            "barge_ins": barge_ins}


async def run_scenario(config: Config, engines: Engines, scenario: dict, workdir: Path, home: Path,
                       voice: CallerVoice) -> dict:
    """`home`: the scenario file's folder, where recordings named in it are found."""
    db = workdir / f"{_slug(scenario['name'])}.db"
    delete_db(db)
    now = datetime.fromisoformat(scenario["now"])
    calls = []
    for call in scenario["calls"]:
        lines = [line[0] for line in call]
        recordings = [home / line[2] if len(line) > 2 else None for line in call]  # ["text", "pattern", "x.wav"]
        result = await run_call(config, engines, db, lines, now, scenario.get("noise_snr_db"), recordings, voice)
        for turn, (_, expected, *_) in zip(result["turns"], call):
            turn["expected"] = expected
            turn["passed"] = bool(re.search(expected, turn["reply"], re.IGNORECASE))
        calls.append(result)
    return score(scenario, calls, booked_rows(db))


def booked_rows(db: Path) -> list[dict]:
    rows = open_db(db)["reservations"].rows_where("status = 'booked'", order_by="id")
    return [{**row, "notes": json.loads(row["notes"])} for row in rows]


def score(scenario: dict, calls: list[dict], booked: list[dict]) -> dict:
    turns = [turn for call in calls for turn in call["turns"]]
    wanted = scenario.get("bookings", [])
    made = booked + [{}] * (len(wanted) - len(booked))  # a booking never made gets every detail wrong
    fields = [(key, want[key], got.get(key)) for want, got in zip(wanted, made) for key in want]
    right = sum(1 for _, want, got in fields if want == got)
    later = [turn["reply"] for call in calls[1:] for turn in call["turns"]]
    recall = scenario.get("recall", [])
    recalled = [p for p in recall if any(re.search(p, reply, re.IGNORECASE) for reply in later)]
    outcome = len(booked) == len(wanted) and right == len(fields)
    return {
        "name": scenario["name"],
        "success": outcome and all(t["passed"] for t in turns) and len(recalled) == len(recall),
        "outcome_ok": outcome,
        "turns_passed": sum(t["passed"] for t in turns),
        "turns": len(turns),
        "detail_accuracy": round(right / len(fields), 3) if fields else None,
        "memory_recall": round(len(recalled) / len(recall), 3) if recall else None,
        "wer": round(word_error_rate([(t["said"], t["heard"]) for t in turns]), 4),
        "barge_ins": sum(call["barge_ins"] for call in calls),
        "bookings": booked,
        "calls": calls,
    }


async def run_eval(config: Config, scenarios: list[dict], workdir: Path, home: Path,
                   voice: CallerVoice = CallerVoice()) -> dict:
    engines = load_engines(config)
    results = [await run_scenario(config, engines, scenario, workdir, home, voice) for scenario in scenarios]
    traces = [t["trace"] for r in results for call in r["calls"] for t in call["turns"] if t["trace"]]
    accuracies = [r["detail_accuracy"] for r in results if r["detail_accuracy"] is not None]
    recalls = [r["memory_recall"] for r in results if r["memory_recall"] is not None]
    pairs = [(t["said"], t["heard"]) for r in results for call in r["calls"] for t in call["turns"]]
    return {
        "scenarios": len(results),
        "success_rate": round(sum(r["success"] for r in results) / len(results), 3),
        "detail_accuracy": round(float(np.mean(accuracies)), 3) if accuracies else None,
        "memory_recall": round(float(np.mean(recalls)), 3) if recalls else None,
        "wer": round(word_error_rate(pairs), 4),
        "barge_ins": sum(r["barge_ins"] for r in results),
        "latency_ms": {stage: stats([t[f"{stage}_ms"] for t in traces])
                       for stage in ("total", "endpoint_wait", "stt", "dialogue", "tts")},
        "results": results,
    }


def main(config: Config, scenarios_path: Path | None, against: Path | None, out: Path, min_success: float,
         voice_specs: list[str] | None = None) -> int:
    """Every scenario in each caller voice (`config`, or `config (voice)` when voices are chosen);
    with `against`, the same again on a second config."""
    voices = [CallerVoice.parse(spec) for spec in voice_specs or []]
    scenarios = load_scenarios(scenarios_path)
    out.mkdir(parents=True, exist_ok=True)
    home = scenarios_path.parent if scenarios_path else Path.cwd()
    runs = {}
    for label, use in (("config", config), ("against", load_config(against) if against else None)):
        for voice in voices or [CallerVoice()]:
            if use is not None:
                name = f"{label} ({voice})" if voices else label
                runs[name] = asyncio.run(run_eval(use, scenarios, out, home, voice))
    path = write_report(runs, out)
    for label, run in runs.items():
        print(f"{label}: success {run['success_rate']:.0%} of {run['scenarios']} scenarios, "
              f"detail accuracy {run['detail_accuracy']}, memory recall {run['memory_recall']}, "
              f"WER {run['wer']}, turn latency p50 {run['latency_ms']['total']['p50']} ms")
        for result in run["results"]:
            print(f"  {'pass' if result['success'] else 'FAIL'}  {result['name']}")
    print(f"report: {path}")
    return 0 if min(run["success_rate"] for run in runs.values()) >= min_success else 1


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
