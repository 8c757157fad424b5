"""`parley eval`: scenarios played through the whole audio pipeline, scored, and reported."""

from __future__ import annotations

import asyncio
import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from importlib import resources
from pathlib import Path

import numpy as np

from parley.configs.files import ConfigError
from parley.dialogue.phrases import NAME_UNCLEAR
from parley.dialogue.types import Transport
from parley.memory.db import delete_db, open_db
from parley.voice.app.measure.caller import ScriptedCaller
from parley.voice.app.measure.repair import MAX_REPAIRS_PER_LINE, Want, is_affirmation, repair
from parley.voice.app.measure.report import write_report
from parley.voice.app.measure.scores import stats, word_error_rate
from parley.voice.app.measure.utterances import with_noise
from parley.voice.app.measure.voices import CallerVoice
from parley.voice.app.settings import Config, load_config
from parley.voice.app.wiring import load_engines, voice_call
from parley.voice.audio import AudioFormat
from parley.voice.events import (
    AgentTextEvent,
    BargeInEvent,
    SessionEvent,
    TranscriptEvent,
    TurnLatencyEvent,
)
from parley.voice.observer import Observer
from parley.voice.reply import Engines
from parley.voice.streams import PacedSpeaker
from parley.voice.wav import read_mono16

PLAYBACK_SPEED = 4.0  # Parley's replies play faster than real time; the caller still speaks in real time


def load_scenarios(path: Path | None) -> list[dict]:
    source = path.read_text(encoding="utf-8") if path else (resources.files("parley.configs") / "scenarios.toml").read_text()
    try:
        scenarios = tomllib.loads(source)["scenario"]
    except (tomllib.TOMLDecodeError, KeyError) as error:
        raise ConfigError(f"{path or 'configs/scenarios.toml'}: not a scenario file ({error})") from None
    return scenarios


class Call(Observer):
    """One call of a scenario as it goes: the caller's planned lines, the repairs they said between
    them, and for each thing said what Parley heard, replied and took."""

    def __init__(self, lines: list[list[str]], voiced: Callable[[str, Path | None], np.ndarray],
                 recordings: list[Path | None], want: Want | None, check_read_back: bool):
        self.lines, self.voiced, self.recordings = lines, voiced, recordings
        self.want, self.check_read_back = want, check_read_back
        self.turns = [self._turn(line[0], i, False, voiced(line[0], wav))
                      for i, (line, wav) in enumerate(zip(lines, recordings))]
        self.caller: ScriptedCaller | None = None
        self.barge_ins = 0

    @staticmethod
    def _turn(said: str, line: int, repair: bool, audio: np.ndarray) -> dict:
        return {"said": said, "line": line, "repair": repair, "heard": [], "reply": [], "trace": None, "audio": audio}

    def __call__(self, event: SessionEvent) -> None:
        if self.caller and self.caller.line_index >= 0:  # not the greeting
            super().__call__(event)

    def _turn_now(self) -> dict:
        assert self.caller is not None
        return self.turns[self.caller.line_index]

    def transcript(self, event: TranscriptEvent) -> None:
        self._turn_now()["heard"].append(event.text)

    def agent_text(self, event: AgentTextEvent) -> None:
        self._turn_now()["reply"].append(event.text)

    def turn_latency(self, event: TurnLatencyEvent) -> None:
        turn = self._turn_now()
        turn["trace"] = turn["trace"] or asdict(event.trace)

    def barge_in(self, event: BargeInEvent) -> None:
        self.barge_ins += 1

    async def on_reply(self, index: int) -> None:
        """After the reply to `turns[index]`: a repair goes before the caller's next line, if one is due."""
        turn = self.turns[index]
        text, pattern, *_ = self.lines[turn["line"]]
        repairs = sum(t["repair"] and t["line"] == turn["line"] for t in self.turns)
        next_line = self.lines[turn["line"] + 1][0] if turn["line"] + 1 < len(self.lines) else None
        words = repair(" ".join(turn["reply"]), text, pattern, next_line, self.want, self.check_read_back)
        if words is None or repairs >= MAX_REPAIRS_PER_LINE or self.caller is None:
            return
        wav = self.recordings[turn["line"]] if words == text else None  # a line said again is said the same
        audio = await asyncio.to_thread(self.voiced, words, wav)
        self.turns.insert(index + 1, self._turn(words, turn["line"], True, audio))
        self.caller.lines.insert(index + 1, audio)

    def result(self) -> dict:
        turns = [{**t, "heard": " ".join(t["heard"]), "reply": " ".join(t["reply"]),
                  "expected": self.lines[t["line"]][1]} for t in self.turns]
        for i, turn in enumerate(turns):
            turn["passed"] = bool(re.search(turn["expected"], turn["reply"], re.IGNORECASE))
            turn["final"] = all(later["line"] != turn["line"] for later in turns[i + 1 :])
        return {"turns": turns, "barge_ins": self.barge_ins}


async def run_call(config: Config, engines: Engines, db: Path, call: Call, now: datetime) -> dict:
    """One call: the caller's lines spoken into a live session, repaired where Parley needs it."""
    rate = config.audio.sample_rate
    speaker = PacedSpeaker(AudioFormat(rate), config.session.playback_ahead_ms / 1000, PLAYBACK_SPEED)
    call.caller = ScriptedCaller([t["audio"] for t in call.turns], speaker, rate, config.audio.chunk_ms,
                                 greeted=True, on_reply=call.on_reply)
    async with voice_call(config, engines, call.caller, speaker, call, db=db, transport=Transport.EVAL,
                          clock=lambda: now) as session:
        await session.run()
    return call.result()


async def run_scenario(config: Config, engines: Engines, scenario: dict, workdir: Path, home: Path,
                       voice: CallerVoice) -> dict:
    """`home`: the scenario file's folder, where recordings named in it are found."""
    db = workdir / f"{_slug(scenario['name'])}.db"
    delete_db(db)
    now = datetime.fromisoformat(scenario["now"])
    want = Want(scenario["bookings"][-1], now.date()) if scenario.get("bookings") else None
    voiced = _voicing(config, engines, voice, scenario.get("noise_snr_db"))
    confirming = [i for i, lines in enumerate(scenario["calls"]) if any(is_affirmation(line[0]) for line in lines)]
    calls = []
    for i, lines in enumerate(scenario["calls"]):
        recordings = [home / line[2] if len(line) > 2 else None for line in lines]  # ["text", "pattern", "x.wav"]
        call = Call(lines, voiced, recordings, want, check_read_back=bool(confirming) and i == confirming[-1])
        calls.append(await run_call(config, engines, db, call, now))
    return score(scenario, calls, booked_rows(db))


def _voicing(config: Config, engines: Engines, voice: CallerVoice,
             noise_snr_db: float | None) -> Callable[[str, Path | None], np.ndarray]:
    """How the caller's words become audio: a recording where the scenario names one, else `voice`."""
    rate = config.audio.sample_rate
    rng = np.random.default_rng(5)

    def voiced(text: str, wav: Path | None) -> np.ndarray:
        audio = read_mono16(wav, rate).to_array() if wav else voice.speak(engines, [text], rate)[0]
        return with_noise(audio, noise_snr_db, rng) if noise_snr_db is not None else audio

    return voiced


def booked_rows(db: Path) -> list[dict]:
    rows = open_db(db)["reservations"].rows_where("status = 'booked'", order_by="id")
    return [{**row, "notes": json.loads(row["notes"])} for row in rows]


def score(scenario: dict, calls: list[dict], booked: list[dict]) -> dict:
    turns = [turn for call in calls for turn in call["turns"]]
    lines = [turn for turn in turns if turn["final"]]  # each planned line, as it ended
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
        "success": outcome and all(t["passed"] for t in lines) and len(recalled) == len(recall),
        "outcome_ok": outcome,
        "turns_passed": sum(t["passed"] for t in lines),
        "turns": len(lines),
        "repair_turns": sum(t["repair"] for t in turns),
        "details": _by_detail(fields),
        "detail_accuracy": round(right / len(fields), 3) if fields else None,
        "name_alone": _name_alone(wanted, made),
        "memory_recall": round(len(recalled) / len(recall), 3) if recall else None,
        "wer": round(word_error_rate([(t["said"], t["heard"]) for t in turns]), 4),
        "barge_ins": sum(call["barge_ins"] for call in calls),
        "bookings": booked,
        "calls": calls,
    }


def _name_alone(wanted: list[dict], made: list[dict]) -> str:
    """A booking right but for its name: "flagged" when it is marked for the staff (booked under the
    number, the name unclear), else "failed"; "" for any other call."""
    for want, got in zip(wanted, made):
        others = all(got.get(key) == value for key, value in want.items() if key != "name")
        if got and others and "name" in want and got.get("name") != want["name"]:
            return "flagged" if (got.get("flag") or "").startswith(NAME_UNCLEAR) else "failed"
    return ""


def _by_detail(fields: list[tuple[str, object, object]]) -> dict[str, list[int]]:
    """For each kind of detail (party_size, day, ...): [right, wanted]."""
    counts: dict[str, list[int]] = {}
    for key, want, got in fields:
        counts.setdefault(key, [0, 0])[0] += want == got
        counts[key][1] += 1
    return counts


def _detail_accuracy(results: list[dict]) -> dict[str, float]:
    totals: dict[str, list[int]] = {}
    for result in results:
        for key, (right, wanted) in result["details"].items():
            totals.setdefault(key, [0, 0])
            totals[key][0] += right
            totals[key][1] += wanted
    return {key: round(right / wanted, 3) for key, (right, wanted) in totals.items()}


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
        "repair_turns": sum(r["repair_turns"] for r in results),
        "names": {outcome: sum(r["name_alone"] == outcome for r in results) for outcome in ("failed", "flagged")},
        "detail_accuracy_by_type": _detail_accuracy(results),
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
              f"WER {run['wer']}, repair turns {run['repair_turns']}, turn latency p50 {run['latency_ms']['total']['p50']} ms, "
              f"calls failed on the name alone {run['names']['failed']} (booked with the name flagged: {run['names']['flagged']})")
        for result in run["results"]:
            print(f"  {'pass' if result['success'] else 'FAIL'}  {result['name']}")
    print(f"report: {path}")
    return 0 if min(run["success_rate"] for run in runs.values()) >= min_success else 1


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
