"""How often Whisper ends a turn with words no one said, with and without the restaurant's prompt.

`python -m tests.phantom_tails` speaks short caller lines in Flite and espeak-ng voices (some on the
phone line), with the endpoint's 150 ms of trailing quiet, transcribes each with and without the
prompt, and counts the transcripts with words after the last word said, before and after
`voice.stt.without_phantom_tail` cuts them.
"""

from __future__ import annotations

import sys

import numpy as np

from parley.dialogue import phrases
from parley.dialogue.domain import load_domain
from parley.dialogue.turn_end import Expect, Listening
from parley.voice.app.measure.scores import normalized_words
from parley.voice.app.measure.voices import CallerVoice
from parley.voice.app.settings import load_config
from parley.voice.app.wiring import load_engines
from parley.voice.audio import AudioChunk
from parley.voice.stt import without_phantom_tail

LINES = ["Hello, I booked with you before.", "Hi, I'd like to book a table.", "Hello.", "Yes, that's right.",
         "Friday at eight.", "Four of us.", "Hello, is that the restaurant?", "Good evening, I booked with you last week."]
VOICES = ["flite:slt", "flite:rms", "flite:awb/phone", "espeak:en-us", "espeak:en-gb/phone"]
TRAILING_QUIET = 2400  # samples at 16 kHz: the endpoint's 150 ms
UNPRIMED = Listening(Expect.DIGITS)  # Whisper hears an expected number without any prompt


def added_words(said: str, heard: str) -> bool:
    """Whether the transcript runs on past the line's last word."""
    said_words, heard_words = normalized_words(said), normalized_words(heard)
    return bool(said_words) and said_words[-1] in heard_words and heard_words[-1] != said_words[-1]


def count(engines, spec: str) -> dict[str, list[int]]:
    """For each prompt (with, without): transcripts that ran on, before the cut and after it."""
    prompt = phrases.what_callers_say(load_domain())
    runs: dict[str, list[int]] = {"with prompt": [0, 0], "without": [0, 0]}
    for line, samples in zip(LINES, CallerVoice.parse(spec).speak(engines, LINES, 16000)):
        audio = AudioChunk.from_array(np.concatenate([samples, np.zeros(TRAILING_QUIET, samples.dtype)]), 16000)
        for label, listening in (("with prompt", Listening(prompt=prompt)), ("without", UNPRIMED)):
            whole = engines.stt.transcribe_uncut(audio, listening)
            runs[label][0] += added_words(line, whole)
            runs[label][1] += added_words(line, without_phantom_tail(whole))
    return runs


def main(voices: list[str]) -> None:
    engines = load_engines(load_config())
    for spec in voices:
        for label, (before, after) in count(engines, spec).items():
            print(f"{spec:20} {label:12} ran on: {before}/{len(LINES)} uncut, {after}/{len(LINES)} cut")


if __name__ == "__main__":
    main(sys.argv[1:] or VOICES)
