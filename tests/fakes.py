"""Fakes that implement the engine and brain Protocols, for fast tests of the session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import numpy as np

from voice.audio import AudioChunk, AudioFormat


class ScriptedSTT:
    """Returns the given transcripts in order, one per turn."""

    def __init__(self, transcripts: list[str]):
        self.transcripts = list(transcripts)
        self.heard_seconds: list[float] = []

    def transcribe(self, audio: AudioChunk) -> str:
        self.heard_seconds.append(audio.seconds)
        return self.transcripts.pop(0) if self.transcripts else ""


class ToneTTS:
    """Speaks every piece as a tone of `seconds_per_word` per word, in 100 ms chunks."""

    format = AudioFormat(16000, 2, 1)

    def __init__(self, seconds_per_word: float = 0.25):
        self.seconds_per_word = seconds_per_word
        self.pieces: list[str] = []

    def synthesize(self, text: str) -> Iterator[AudioChunk]:
        self.pieces.append(text)
        samples = int(len(text.split()) * self.seconds_per_word * self.format.rate)
        tone = (3000 * np.sin(np.arange(samples) * 2 * np.pi * 220 / self.format.rate)).astype(np.int16)
        for start in range(0, samples, 1600):
            yield AudioChunk(tone[start : start + 1600].tobytes(), self.format)


class ScriptedBrain:
    """Replies with the given texts in order, streamed word by word."""

    def __init__(self, replies: list[str]):
        self.replies = list(replies)
        self.heard: list[str] = []
        self.replies_heard: list[tuple[str, str, bool]] = []

    def greeting(self) -> str:
        return ""

    def reply_heard(self, text: str, heard: str, interrupted: bool, trace: dict | None) -> None:
        self.replies_heard.append((text, heard, interrupted))

    async def close(self) -> None:
        pass

    async def reply(self, transcript: str) -> AsyncIterator[str]:
        self.heard.append(transcript)
        for word in self.replies.pop(0).split(" "):
            yield word + " "
