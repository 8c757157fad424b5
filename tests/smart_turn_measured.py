"""Smart Turn v3.2 (an audio end-of-turn model) against Parley's transcript rules, on the harder
bench's sentences in voices that are not Parley's: at every pause inside a turn (where the turn is
not over) and at every turn's end, which of them says "finished"? Issue 19 asked to keep the model
only if these numbers say it pays; the README has them.

Not a dependency: `pip download --no-deps pipecat-ai==1.14.0`, then
`python -m tests.smart_turn_measured --wheel pipecat_ai-1.14.0-py3-none-any.whl [--voices ...]`.
The model and its numpy feature front end are read from the wheel; `pipecat` is never imported
(its `__init__` replaces `asyncio.wait_for` and needs a dozen packages).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import tempfile
import time
import zipfile
from pathlib import Path
from types import ModuleType

import numpy as np
import onnxruntime

from parley.dialogue.turn_end import sounds_finished
from parley.voice.app.measure.hard import PAUSE_MS, PAUSED_SENTENCES, VOICES
from parley.voice.app.measure.utterances import trim_end
from parley.voice.app.measure.voices import CallerVoice
from parley.voice.app.settings import load_config
from parley.voice.app.wiring import load_engines
from parley.voice.audio import AudioChunk

PACKAGE = "pipecat/audio/turn/smart_turn/"
RATE = 16000
WINDOW = 8 * RATE  # the model hears the last 8 s, left-padded with zeros
QUIET_AT_PAUSE = int(0.06 * RATE)  # what the VAD has heard of a pause when it starts speculation


class SmartTurn:
    """The model and its feature front end, from the wheel."""

    def __init__(self, wheel: Path, scratch: Path):
        with zipfile.ZipFile(wheel) as archive:
            for name in ("_whisper_features.py", "data/smart-turn-v3.2-cpu.onnx"):
                archive.extract(PACKAGE + name, scratch)
        self.features = _module(scratch / PACKAGE / "_whisper_features.py")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1  # FACTS.md: two threads are slower
        self.session = onnxruntime.InferenceSession(str(scratch / PACKAGE / "data/smart-turn-v3.2-cpu.onnx"), options)

    def complete(self, audio: np.ndarray) -> float:
        """The probability that the turn in `audio` (int16, 16 kHz) is complete."""
        samples = audio.astype(np.float32)[-WINDOW:] / 32768
        samples = np.pad(samples, (WINDOW - len(samples), 0))
        features = self.features.compute_whisper_log_mel_features(samples, do_normalize=True)[None]
        return float(self.session.run(None, {"input_features": features.astype(np.float32)})[0][0].item())


def _module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("smart_turn_features", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def points(voice: CallerVoice, engines, rng: np.random.Generator):
    """(audio up to a pause or an end, whether it is the end) for each sentence in this voice, as
    the harder bench says it; a pause is where 400 ms or more are quiet."""
    for sentence in PAUSED_SENTENCES:
        parts = sentence.split(" | ")
        audio = trim_end(voice.speak_paused(engines, parts, [int(rng.integers(*PAUSE_MS)) for _ in parts[1:]], RATE))
        for stop in [*pause_starts(audio), len(audio)]:
            quiet = rng.normal(0, 60, QUIET_AT_PAUSE).astype(np.int16)
            yield np.concatenate([audio[:stop], quiet]), stop == len(audio)


def pause_starts(audio: np.ndarray, level: int = 300, shortest: int = int(0.4 * RATE)) -> list[int]:
    loud = np.flatnonzero(np.abs(audio.astype(np.int32)) >= level)
    gaps = np.flatnonzero(np.diff(loud) >= shortest)
    return [int(loud[gap]) + 1 for gap in gaps]


def measure(model: SmartTurn, voices: list[str]) -> None:
    engines, rng = load_engines(load_config()), np.random.default_rng(19)
    rows, timings = [], []
    for name in voices:
        for audio, end in points(CallerVoice.parse(name), engines, rng):
            started = time.perf_counter()
            probability = model.complete(audio)
            timings.append((time.perf_counter() - started) * 1000)
            rules = sounds_finished(engines.stt.transcribe(AudioChunk(audio.tobytes())))
            rows.append((end, rules, probability))
    inside, ends = [r for r in rows if not r[0]], [r for r in rows if r[0]]
    print(f"voices: {', '.join(voices)}; {len(inside)} pauses inside turns, {len(ends)} turn ends")
    print(f"{'says finished':<28}{'at pauses (wrong)':>18}{'at ends (right)':>17}")
    for label, says in (("transcript rules", lambda r: r[1]), ("Smart Turn > 0.5", lambda r: r[2] > 0.5),
                        ("rules and Smart Turn > 0.2", lambda r: r[1] and r[2] > 0.2)):
        print(f"{label:<28}{_share(inside, says):>18}{_share(ends, says):>17}")
    print(f"Smart Turn inference, one thread: median {statistics.median(timings):.0f} ms, "
          f"p95 {np.percentile(timings, 95):.0f} ms")


def _share(rows: list, says) -> str:
    return f"{sum(map(says, rows))}/{len(rows)}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, required=True, help="the pipecat-ai 1.14.0 wheel")
    parser.add_argument("--voices", default=",".join(VOICES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        measure(SmartTurn(args.wheel, Path(scratch)), args.voices.split(","))
