"""Fakes that implement the engine and brain Protocols, for fast tests of the session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import numpy as np

from parley.dialogue.turn_end import Listening
from parley.voice.audio import AudioChunk, AudioFormat


class ScriptedSTT:
    """Returns the given transcripts in order, one per turn. A turn may be transcribed more than
    once (speculatively on a pause, then at its end): audio that starts as the last call's did is
    the same turn, and gets the same transcript."""

    def __init__(self, transcripts: list[str]):
        self.transcripts = list(transcripts)
        self.heard_seconds: list[float] = []  # per turn, the longest audio transcribed
        self._turn_key: bytes | None = None
        self._turn_text = ""
        self.expected: list[object] = []  # what the dialogue expected at each transcription

    def transcribe(self, audio: AudioChunk, listening: Listening | None = None) -> str:
        self.expected.append(listening.expect if listening else None)
        key = audio.audio[:6400]  # its first 200 ms
        if key == self._turn_key:
            self.heard_seconds[-1] = max(self.heard_seconds[-1], audio.seconds)
            return self._turn_text
        self._turn_key = key
        self._turn_text = self.transcripts.pop(0) if self.transcripts else ""
        self.heard_seconds.append(audio.seconds)
        return self._turn_text


class ToneTTS:
    """Speaks every piece as a tone of `seconds_per_word` per word, in 100 ms chunks."""

    format = AudioFormat(16000, 2, 1)

    def __init__(self, seconds_per_word: float = 0.25):
        self.seconds_per_word = seconds_per_word
        self.pieces: list[str] = []

    def remember(self, phrases: list[str]) -> None:
        pass  # a tone costs nothing to make: nothing to keep

    def synthesize(self, text: str) -> Iterator[AudioChunk]:
        self.pieces.append(text)
        samples = int(len(text.split()) * self.seconds_per_word * self.format.rate)
        tone = (3000 * np.sin(np.arange(samples) * 2 * np.pi * 220 / self.format.rate)).astype(np.int16)
        for start in range(0, samples, 1600):
            yield AudioChunk(tone[start : start + 1600].tobytes(), self.format)


class ScriptedBrain:
    """Replies with the given texts in order, streamed word by word."""

    def __init__(self, replies: list[str], can_withdraw: bool = False):
        self.replies = list(replies)
        self.can_withdraw = can_withdraw
        self.withdrawn: list[str] = []  # turns taken back, when it can
        self.heard: list[str] = []
        self.replies_heard: list[tuple[str, str, bool]] = []
        self.backchannels: list[str] = []
        self.ended = False
        self.dropped = False
        self.hand_over_to = ""

    def greeting(self) -> str:
        return ""

    def listening(self) -> Listening:
        return Listening()

    def pause_heard(self, ms: float) -> None:
        pass

    def reply_heard(self, text: str, heard: str, interrupted: bool, trace: dict | None) -> None:
        self.replies_heard.append((text, heard, interrupted))

    def backchannel_heard(self, text: str) -> None:
        self.backchannels.append(text)

    def settle(self) -> None:
        pass

    def line_dropped(self) -> None:
        self.dropped = True

    def withdraw(self) -> bool:
        if self.can_withdraw:
            self.withdrawn.append(self.heard.pop())
        return self.can_withdraw

    async def close(self) -> None:
        pass

    async def reply(self, transcript: str) -> AsyncIterator[str]:
        self.heard.append(transcript)
        for word in self.replies.pop(0).split(" "):
            yield word + " "
