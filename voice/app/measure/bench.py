"""`parley bench`: turn latency per stage over many utterances, tuned pipeline against a naive one."""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections import Counter
from pathlib import Path

from parley.dialogue.brain import Brain
from parley.dialogue.types import Transport
from parley.voice.app.measure.caller import ScriptedCaller
from parley.voice.app.measure.scores import stats, word_error_rate
from parley.voice.app.measure.utterances import (
    Utterance,
    recorded_utterances,
    synthetic_utterances,
)
from parley.voice.app.settings import Config
from parley.voice.app.wiring import load_engines, voice_call
from parley.voice.audio import AudioFormat
from parley.voice.events import BargeInEvent, EndpointEvent, TranscriptEvent, TurnLatencyEvent, TurnTrace
from parley.voice.observer import Observer
from parley.voice.reply import Engines
from parley.voice.streams import PacedSpeaker

ROOM_NOISE = 0.002  # a quiet line between utterances, as a real one is never digital silence
PLAYBACK_SPEED = 8.0  # replies play faster than real time: only their first audio is timed


async def run_pipeline(config: Config, engines: Engines, utterances: list[Utterance], streaming: bool,
                       brain: Brain | None = None, playback_speed: float = PLAYBACK_SPEED) -> dict:
    """Play every utterance through a live session (by default with the embedded brain on a scratch
    database); returns the summary."""
    rate = config.audio.sample_rate
    speaker = PacedSpeaker(AudioFormat(rate), config.session.playback_ahead_ms / 1000, playback_speed)
    caller = ScriptedCaller([u.audio for u in utterances], speaker, rate, config.audio.chunk_ms,
                            pause=0.5, noise_level=ROOM_NOISE, greeted=True)
    watch = BenchWatch(caller, len(utterances))
    with tempfile.TemporaryDirectory() as scratch:
        async with voice_call(config, engines, caller, speaker, watch, brain=brain, db=Path(scratch) / "bench.db",
                              transport=Transport.BENCH, streaming=streaming, hang_up=False) as session:
            history = await session.run()
        brain = session.brain
    traces = [turn.trace for turn in history if turn.trace is not None and not turn.withdrawn]
    pairs = heard_pairs(utterances, watch.heard)
    return {**summarize(traces, pairs, session.dropped_chunks), "llm_fallbacks": len(getattr(brain, "fallbacks", [])),
            "memory_background_ms": stats(getattr(brain, "memory_ms", []), digits=2),
            "false_endpoint_rate": round(len(watch.cut_off) / len(utterances), 3),
            "answered_in_halves_rate": round(len(watch.halves()) / len(utterances), 3),
            "withdrawn": sum(watch.taken_back.values()),
            "finished_endpoint_wait_ms": stats(watch.finished_waits),
            "lines": [{"said": u.text, "heard": " ".join(h)} for u, h in zip(utterances, watch.heard)]}


class BenchWatch(Observer):
    """What the bench keeps of a run: the words heard per line, the turns cut off, the replies taken
    back, the waits of finished turns."""

    def __init__(self, caller: ScriptedCaller, lines: int):
        self.caller = caller
        self.heard: list[list[str]] = [[] for _ in range(lines)]
        self.cut_off: Counter[int] = Counter()  # per line, the turns Parley took while the user had more to say
        self.taken_back: Counter[int] = Counter()  # per line, replies withdrawn: the caller went on, answered whole
        self.finished_waits: list[float] = []  # the endpoint wait of turns the user had finished
        # The line the turn being answered ended in: its transcript is that line's (where it began can
        # be a little before its line, when noise starts the line and the VAD dates speech back).
        self.turn_line, self.finished = 0, False
        self._last_line = 0  # the line the last transcript went to

    def transcript(self, event: TranscriptEvent) -> None:
        self._last_line = self.turn_line
        self.heard[self._last_line].append(event.text)

    def barge_in(self, event: BargeInEvent) -> None:
        if event.withdrawn:  # its transcript is heard again, whole, with what followed
            self.taken_back[self.caller.line_index] += 1
            if self.heard[self._last_line]:
                self.heard[self._last_line].pop()

    def endpoint(self, event: EndpointEvent) -> None:
        self.turn_line, self.finished = max(self.caller.line_at(event.end), 0), not self.caller.more_to_say
        if self.caller.more_to_say:
            self.cut_off[self.caller.line_index] += 1

    def turn_latency(self, event: TurnLatencyEvent) -> None:
        if self.finished:
            self.finished_waits.append(event.trace.endpoint_wait_ms)

    def halves(self) -> list[int]:
        """The lines answered in halves: cut off, and not every early reply taken back."""
        return [line for line, cuts in self.cut_off.items() if cuts > self.taken_back[line]]


def heard_pairs(utterances: list[Utterance], heard: list[list[str]]) -> list[tuple[str, str]]:
    """What was said against what was heard. With every utterance's text known, the whole run is one
    pair: a word counts as heard whichever turn it ended up in (a turn cut at a pause, or two lines
    merged into one turn, move words between utterances without losing them)."""
    if all(u.text is not None for u in utterances):
        return [(" ".join(u.text or "" for u in utterances), " ".join(text for h in heard for text in h))]
    return [(u.text, " ".join(h)) for u, h in zip(utterances, heard) if u.text is not None]


def summarize(traces: list[TurnTrace], pairs: list[tuple[str, str]], dropped: int) -> dict:
    rtf = [t.stt_compute_ms / 1000 / t.speech_seconds for t in traces if t.speech_seconds > 0]
    return {
        "turns": len(traces),
        "turn_latency_ms": stats([t.total_ms for t in traces]),
        "stages_ms": {
            "endpoint_wait": stats([t.endpoint_wait_ms for t in traces]),
            "stt": stats([t.stt_ms for t in traces]),  # what was left of it after the endpoint
            "stt_compute": stats([t.stt_compute_ms for t in traces]),
            "dialogue": stats([t.dialogue_ms for t in traces]),
            "tts_first_audio": stats([t.tts_ms for t in traces]),
        },
        "stt_rtf": stats(rtf, digits=3),
        "wer": round(word_error_rate(pairs), 4) if pairs else None,
        "dropped_input_chunks": dropped,
    }


async def run_bench(config: Config, turns: int, audio_dir: Path | None) -> dict:
    engines = load_engines(config)
    rate = config.audio.sample_rate
    if audio_dir is not None:
        utterances = recorded_utterances(audio_dir, rate)
    else:
        utterances = synthetic_utterances(engines, turns, rate)
    tuned = await run_pipeline(config, engines, utterances, streaming=True)
    baseline = await run_pipeline(config, engines, utterances, streaming=False)
    llm = config.llm
    report = {"brain": f"llm {llm.model} at {llm.base_url}" if llm.base_url else "embedded",
              "utterances": len(utterances), **tuned}
    report.update({f"baseline_{key}": value for key, value in baseline.items()})
    tuned_p50, baseline_p50 = tuned["turn_latency_ms"]["p50"], baseline["turn_latency_ms"]["p50"]
    report["speedup_vs_baseline"] = round(baseline_p50 / tuned_p50, 2) if tuned_p50 and baseline_p50 else None
    return report


def render(report: dict) -> str:
    lines = [f"brain: {report['brain']}", f"{report['utterances']} utterances, {report['turns']} turns answered (tuned), "
             f"{report['baseline_turns']} (baseline)", ""]
    lines.append(f"{'ms':<22}{'tuned p50':>10}{'p95':>8}{'baseline p50':>14}{'p95':>8}")
    rows = [("turn latency", report["turn_latency_ms"], report["baseline_turn_latency_ms"])]
    for stage, figures in report["stages_ms"].items():
        rows.append((f"  {stage}", figures, report["baseline_stages_ms"][stage]))
    for name, tuned, base in rows:
        lines.append(f"{name:<22}{_fmt(tuned['p50']):>10}{_fmt(tuned['p95']):>8}"
                     f"{_fmt(base['p50']):>14}{_fmt(base['p95']):>8}")
    lines.append("")
    lines.append(f"STT real-time factor p50: {report['stt_rtf']['p50']}   word error rate: {report['wer']}")
    lines.append(f"false-endpoint rate: {report['false_endpoint_rate']} (tuned), "
                 f"{report['baseline_false_endpoint_rate']} (baseline); replies taken back: {report['withdrawn']}")
    lines.append(f"speed-up of the median against the baseline: {report['speedup_vs_baseline']}x")
    memory = report["memory_background_ms"]
    lines.append(f"memory writes, off the critical path: p50 {memory['p50']} ms, p95 {memory['p95']} ms each")
    if report["llm_fallbacks"] or report["baseline_llm_fallbacks"]:
        lines.append(f"LLM turns that fell back to the embedded rules: {report['llm_fallbacks']} (tuned), "
                     f"{report['baseline_llm_fallbacks']} (baseline)")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def main(config: Config, turns: int, as_json: bool, audio_dir: Path | None) -> int:
    report = asyncio.run(run_bench(config, turns, audio_dir))
    print(json.dumps(report, indent=2) if as_json else render(report))
    return 0
