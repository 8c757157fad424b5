"""Each speech-to-text lever alone, on the eval's caller lines in voices that are not Parley's: how
many of the details said (party, day, time, name, phone) are read the same from what was heard, the
word error rate, and the transcription time. Faster than `parley eval` (no dialogue, no real-time
pacing), so levers can be compared before the whole eval is run on the one kept.

`python -m tests.levers [--voices piper,flite:slt,...] [--levers "tiny.en, no prompt;Moonshine base-en"]`
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from collections.abc import Callable
from datetime import date

from parley.dialogue.domain import load_domain
from parley.dialogue.nlu import Understanding, understand
from parley.dialogue.turn_end import Expect, Listening
from parley.voice.app.measure.eval import load_scenarios
from parley.voice.app.measure.scores import word_error_rate
from parley.voice.app.measure.voices import CallerVoice
from parley.voice.app.settings import Config, load_config
from parley.voice.app.wiring import load_engines, load_stt
from parley.voice.audio import AudioChunk

TODAY = date(2026, 11, 28)
DETAILS = ("party_size", "day", "clock", "name", "phone")
NO_DIGITS = "{name}: a table for six on Saturday at eight. Yes."
LEVERS: dict[str, Callable[[Config], Config]] = {
    "tiny.en, restaurant prompt, a number expected heard unprimed": lambda c: c,
    "tiny.en, restaurant prompt": lambda c: c,
    "tiny.en, prompt without digits": lambda c: _stt(c, prompt=NO_DIGITS.format(name=load_domain(None).name)),
    "tiny.en, no prompt": lambda c: _stt(c, prompt=""),
    "tiny.en, no prompt, beam 5": lambda c: _stt(c, prompt="", beam_size=5),
    "Whisper base, no prompt": lambda c: _stt(c, model="base", prompt=""),
    "Moonshine base-en": lambda c: _stt(c, engine="moonshine"),
}


def _stt(config: Config, **changes: object) -> Config:
    return dataclasses.replace(config, stt=dataclasses.replace(config.stt, **changes))


def caller_lines(numbers_only: bool = False) -> list[str]:
    """Every line of the eval's scenarios that says a detail (or only a phone number), once."""
    lines = [line[0] for s in load_scenarios(None) for call in s["calls"] for line in call]
    said = [details(understand(line, TODAY)) for line in dict.fromkeys(lines)]
    return [line for line, found in zip(dict.fromkeys(lines), said)
            if found and (set(found) == {"phone"} or not numbers_only)]


def details(u: Understanding) -> dict[str, object]:
    return {key: getattr(u, key) for key in DETAILS if getattr(u, key) is not None}


def measure(stt, lines: list[str], audio: list[AudioChunk], expecting: bool) -> dict[str, float]:
    """With `expecting`, a line that gives only a phone number is heard as the answer to "What's your
    number?" (the dialogue's expectation goes with the audio); else every line is heard alike."""
    right = wanted = 0
    pairs, times = [], []
    for text, chunk in zip(lines, audio):
        started = time.perf_counter()
        number_only = set(details(understand(text, TODAY))) == {"phone"}
        heard = stt.transcribe(chunk, Listening(Expect.DIGITS) if expecting and number_only else None)
        times.append(time.perf_counter() - started)
        want, got = details(understand(text, TODAY)), details(understand(heard, TODAY))
        right += sum(got.get(key) == value for key, value in want.items())
        wanted += len(want)
        pairs.append((text, heard))
    return {"details": right / wanted, "wer": word_error_rate(pairs), "stt_ms": 1000 * statistics.median(times)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--voices", default="piper,flite:slt,flite:rms,flite:awb,espeak:en-us,flite:slt/phone")
    parser.add_argument("--numbers-only", action="store_true", help="only the lines that give a phone number alone")
    parser.add_argument("--levers", default=";".join(LEVERS), help="names separated by ;")
    args = parser.parse_args()
    config = load_config(None)
    engines = load_engines(config)
    lines = caller_lines(args.numbers_only)
    voices = [CallerVoice.parse(spec) for spec in args.voices.split(",")]
    audio = {v: [AudioChunk(a.tobytes()) for a in v.speak(engines, lines, 16000)] for v in voices}
    print(f"{len(lines)} caller lines with details, in {len(voices)} voices\n")
    print("| lever | " + " | ".join(str(v) for v in voices) + " | all: details | WER | STT p50 ms |")
    print("| --- " * (len(voices) + 4) + "|")
    for name in args.levers.split(";"):
        stt = load_stt(LEVERS[name](config), load_domain(None))
        scores = [measure(stt, lines, audio[v], expecting="expected" in name) for v in voices]
        cells = [f"{s['details']:.0%}" for s in scores]
        overall = [statistics.mean(s[k] for s in scores) for k in ("details", "wer", "stt_ms")]
        print(f"| {name} | " + " | ".join(cells) + f" | {overall[0]:.0%} | {overall[1]:.3f} | {overall[2]:.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
