"""`parley edge calibrate`: measure this device and write the profile (a config overlay) that fits it."""

from __future__ import annotations

import dataclasses
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from parley.voice.app.settings import Config
from parley.voice.audio import AudioChunk, resample
from parley.voice.stt import FasterWhisperSTT
from parley.voice.tts import PiperTTS

SAMPLE_TURN = "I would like to book a table for four people on Friday at half past seven."
SAMPLE_REPLY = "Can I take a name for the booking?"
RUNS = 3
AFTER_STT_MS = 50  # what a turn adds to its transcript here: endpoint bookkeeping, dialogue, first audio


@dataclass(frozen=True)
class Measurements:
    cores: int
    memory_gb: float
    stt_ms: float  # transcribing one turn of SAMPLE_TURN's length, median of RUNS
    stt_rtf: float  # stt_ms per millisecond of speech
    tts_first_audio_ms: float  # a short reply, text in to first audio out, median of RUNS
    speech_seconds: float


def measure(config: Config) -> Measurements:
    cores = len(os.sched_getaffinity(0))
    tts = PiperTTS(dataclasses.replace(config.tts, threads=tts_threads(cores)))
    rate = config.audio.sample_rate
    speech = AudioChunk.from_array(resample(tts.speak(SAMPLE_TURN), tts.format.rate, rate), rate)
    stt = FasterWhisperSTT(dataclasses.replace(config.stt, cpu_threads=min(cores, 4)))
    stt.transcribe(speech)  # the first run loads and warms up
    stt_ms = statistics.median(_timed(lambda: stt.transcribe(speech)) for _ in range(RUNS))
    tts_ms = statistics.median(_timed(lambda: next(iter(tts.synthesize(SAMPLE_REPLY)))) for _ in range(RUNS))
    return Measurements(cores, _memory_gb(), round(stt_ms, 1), round(stt_ms / (speech.seconds * 1000), 3),
                        round(tts_ms, 1), round(speech.seconds, 2))


def profile(m: Measurements) -> str:
    """The profile that fits: all cores (up to 4) for transcription; speculation started later on a
    device whose transcripts come slowly, so fewer are thrown away; larger audio blocks on one core."""
    slow = m.stt_ms > 800
    estimate = max(m.stt_ms, 200) + AFTER_STT_MS
    return f"""# Written by `parley edge calibrate` for this device; use it with --config.
# Measured: {m.cores} core(s), {m.memory_gb:.1f} GB; transcribing a {m.speech_seconds:.1f} s turn took
# {m.stt_ms:.0f} ms (real-time factor {m.stt_rtf}); a short reply's first audio took {m.tts_first_audio_ms:.0f} ms.
# Estimated turn latency at the median (a turn's transcript is usually ready at the endpoint):
# about {estimate:.0f} ms.
[stt]
cpu_threads = {min(m.cores, 4)}
compute_type = "int8"

[tts]
threads = {tts_threads(m.cores)}

[vad]
pause_ms = {60 if slow else 30}
finished_wait_ms = {250 if slow else 200}
unfinished_wait_ms = 1000

[talk]
block_ms = {30 if m.cores == 1 else 20}
"""


def main(config: Config, out: Path | None) -> int:
    print("measuring this device (about half a minute)...", flush=True)
    text = profile(measure(config))
    if out is None:
        print(text, end="")
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(f"profile written to {out}; use it with: parley --config {out} edge satellite ...")
    return 0


def tts_threads(cores: int) -> int:
    """A reply's first clause is short: more threads than two only take cores from transcription."""
    return 1 if cores <= 2 else 2


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def _memory_gb() -> float:
    try:
        with open("/proc/meminfo") as meminfo:
            kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
        return kb / 1024 / 1024
    except (OSError, StopIteration, ValueError):
        return 0.0
