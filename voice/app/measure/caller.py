"""A simulated caller on a live line, for the demo and the benchmark: it speaks, then waits its turn."""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Protocol

import numpy as np

from parley.voice.audio import AudioChunk


class HeardReplies(Protocol):
    """What the caller listens to: Parley's audio so far, and whether it is still playing."""

    @property
    def handed_seconds(self) -> float: ...

    def busy(self) -> bool: ...


class ScriptedCaller:
    """An `AudioSource` that sounds like a phone line: quiet (or room noise) between lines, and
    each line spoken once Parley has replied to the last one and gone quiet for `pause` seconds.
    `on_reply(i)`, once the reply to line `i` has played, may insert what to say next into `lines`.
    """

    def __init__(
        self,
        lines: list[np.ndarray],
        speaker: HeardReplies,
        rate: int = 16000,
        chunk_ms: int = 20,
        pause: float = 0.7,
        reply_timeout: float = 10.0,
        noise_level: float = 0.0,
        cut_in_after: float | None = None,
        over: set[int] | None = None,
        greeted: bool = False,
        on_reply: Callable[[int], Awaitable[None]] | None = None,
    ):
        self.lines = lines
        self.speaker = speaker
        self.rate = rate
        self.chunk_samples = rate * chunk_ms // 1000
        self.pause = pause
        self.reply_timeout = reply_timeout
        self._noise = np.random.default_rng(7)
        self.noise_level = noise_level
        self.cut_in_after = cut_in_after  # speak the next line this long into a reply, cutting it off
        self.over = over  # with cut_in_after: only these lines are spoken over the reply before them (None: all)
        self.greeted = greeted  # Parley speaks first: wait for its greeting before the first line
        self.on_reply = on_reply
        self.line_index = -1  # the line being spoken or last spoken
        self.more_to_say = False  # in the middle of a line: voiced samples of it are still to come
        self.started_at: float | None = None  # loop time of the first sample
        self.line_starts: list[int] = []  # where each line began, in samples since the first sent
        self._sent: list[np.ndarray] = []
        self._samples_sent = 0
        self._next_at = 0.0

    async def chunks(self) -> AsyncGenerator[AudioChunk, None]:
        loop = asyncio.get_running_loop()
        self.started_at = self._next_at = loop.time()
        async for chunk in self._await_reply(0.0) if self.greeted else self._quiet(self.pause):
            yield chunk
        while self.line_index + 1 < len(self.lines):
            self.line_index += 1
            line = self.lines[self.line_index]
            # The reply to wait for is the one after the line's last words (a reply to the words
            # before a pause inside the line is not it); it may start in the line's trailing silence.
            handed_before = self.speaker.handed_seconds
            self.line_starts.append(self._samples_sent)
            last_voiced = _last_voiced(line)
            for start in range(0, len(line), self.chunk_samples):
                self.more_to_say = start + self.chunk_samples <= last_voiced
                if self.more_to_say:
                    handed_before = self.speaker.handed_seconds
                yield await self._send(line[start : start + self.chunk_samples])
            self.more_to_say = False
            wait = self._cut_in(handed_before) if self._next_over() else self._await_reply(handed_before)
            async for chunk in wait:
                yield chunk
            if self.on_reply is not None:
                async for chunk in self._quiet_until(self.on_reply(self.line_index)):
                    yield chunk

    def _next_over(self) -> bool:
        """Whether the next line is spoken over the reply to this one."""
        following = self.line_index + 1
        return (self.cut_in_after is not None and following < len(self.lines)
                and (self.over is None or following in self.over))

    def line_at(self, sample: int) -> int:
        """The line being spoken at `sample` (a position in the session's input); -1 before the first."""
        return bisect.bisect_right(self.line_starts, sample) - 1

    def recording(self) -> np.ndarray:
        """Everything the caller sent down the line, from `started_at`."""
        return np.concatenate(self._sent) if self._sent else np.zeros(0, dtype=np.int16)

    async def _await_reply(self, handed_before: float) -> AsyncGenerator[AudioChunk, None]:
        """Quiet until the reply has played and Parley has been silent for a natural pause (or no
        reply came). A reply with a gap in it (its next sentence still being made) is waited out."""
        waited, quiet_for = 0.0, 0.0
        step = self.chunk_samples / self.rate
        while quiet_for < self.pause:
            started = self.speaker.handed_seconds > handed_before
            if not started and waited >= self.reply_timeout:
                break  # reply_timeout bounds the wait for a reply to start, not for a long one to end
            quiet_for = quiet_for + step if started and not self.speaker.busy() else 0.0
            yield await self._send(self._silence())
            waited += step
        if quiet_for < self.pause:  # no reply came at all: still leave a pause before speaking
            async for chunk in self._quiet(self.pause):
                yield chunk

    async def _cut_in(self, handed_before: float) -> AsyncGenerator[AudioChunk, None]:
        """Quiet until the reply has been playing for `cut_in_after` seconds."""
        waited = 0.0
        while self.speaker.handed_seconds == handed_before and waited < self.reply_timeout:
            yield await self._send(self._silence())
            waited += self.chunk_samples / self.rate
        async for chunk in self._quiet(self.cut_in_after or 0.0):
            yield chunk

    async def _quiet_until(self, decided: Awaitable[None]) -> AsyncGenerator[AudioChunk, None]:
        """Quiet while the caller decides (and voices) what to say next: the line stays live."""
        deciding = asyncio.ensure_future(decided)
        while not deciding.done():
            yield await self._send(self._silence())
        deciding.result()

    async def _quiet(self, seconds: float) -> AsyncGenerator[AudioChunk, None]:
        for _ in range(int(seconds * self.rate / self.chunk_samples)):
            yield await self._send(self._silence())

    def _silence(self) -> np.ndarray:
        noise = self._noise.normal(0, self.noise_level * 32767, self.chunk_samples)
        return noise.astype(np.int16)

    async def _send(self, samples: np.ndarray) -> AudioChunk:
        """Wait until these samples would have been captured in real time, then hand them over."""
        self._next_at += len(samples) / self.rate
        await asyncio.sleep(max(0.0, self._next_at - asyncio.get_running_loop().time()))
        self._sent.append(samples)
        self._samples_sent += len(samples)
        return AudioChunk(samples.tobytes())


def _last_voiced(line: np.ndarray, threshold: int = 500) -> int:
    loud = np.flatnonzero(np.abs(line.astype(np.int32)) > threshold)
    return int(loud[-1]) if len(loud) else 0
