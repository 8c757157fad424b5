"""One speech-to-text queue per process, shared by every call: turns that ended wait their turn, first
come first served; a speculation never waits (shed when the engine is busy), so it never delays a
turn that ended; a speculation the caller overtook before the engine was free is dropped."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from parley.dialogue.turn_end import Listening
from parley.voice.audio import AudioChunk
from parley.voice.stt import SpeechToText


class Shed(Exception):
    """A speculation not started: the engine was busy with others' turns."""


class Dropped(Exception):
    """A speculation not started: by its turn in the queue, the caller had spoken on."""


@dataclass(frozen=True)
class SttResult:
    text: str
    compute_seconds: float  # the engine's time on it
    wait_seconds: float = 0.0  # time in the queue before the engine took it


@dataclass
class SttQueue:
    """`workers` transcriptions at once (the engine's own threads do the rest); the others wait in order."""

    stt: SpeechToText
    workers: int = 1
    shed: int = 0
    dropped: int = 0
    _running: int = 0
    _waiting: deque[asyncio.Future] = field(default_factory=deque)

    async def transcribe(self, audio: AudioChunk, listening: Listening | None = None, speculative: bool = False,
                         stale: Callable[[], bool] = lambda: False) -> SttResult:
        """The transcript of `audio`. A speculation is shed (Shed) when anything is running or waiting,
        and dropped (Dropped) if `stale()` by the time the engine is free for it."""
        if speculative and (self._running >= self.workers or self._waiting):
            self.shed += 1
            raise Shed("speech-to-text busy: speculation shed")
        queued = time.perf_counter()
        await self._slot()
        waited = time.perf_counter() - queued
        if stale():
            self._release()
            self.dropped += 1
            raise Dropped("the caller spoke on before speech-to-text was free")
        work = asyncio.ensure_future(asyncio.to_thread(_timed, self.stt, audio, listening))
        work.add_done_callback(lambda _: self._release())  # the slot is the thread's: a cancelled caller does not free it
        text, seconds = await asyncio.shield(work)
        return SttResult(text, seconds, waited)

    async def _slot(self) -> None:
        if self._running < self.workers and not self._waiting:
            self._running += 1
            return
        ready = asyncio.get_running_loop().create_future()
        self._waiting.append(ready)
        try:
            await ready  # set once a finished transcription hands its slot over
        except asyncio.CancelledError:
            if ready.done() and not ready.cancelled():
                self._release()  # handed a slot just as it was cancelled: pass it on
            raise

    def _release(self) -> None:
        while self._waiting:
            ready = self._waiting.popleft()
            if not ready.done():  # a waiter that was cancelled meanwhile is skipped
                ready.set_result(None)
                return
        self._running -= 1


def _timed(stt: SpeechToText, audio: AudioChunk, listening: Listening | None) -> tuple[str, float]:
    started = time.perf_counter()
    text = stt.transcribe(audio, listening)
    return text, time.perf_counter() - started
