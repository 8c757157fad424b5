"""A graceful stop: on SIGTERM or SIGINT no new calls, the live ones get `drain_seconds` to finish,
then a short goodbye; a second signal stops at once. Every call is stored either way."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from parley.dialogue import phrases
from parley.voice.audio import AudioChunk
from parley.voice.session import Session
from parley.voice.speakable import speakable_pieces
from parley.voice.tts import TextToSpeech

log = logging.getLogger(__name__)

FAREWELL_SECONDS = 10.0  # the goodbye is a few seconds; a caller who never reports playing it is not waited for


@dataclass
class LiveCalls:
    """The calls in progress in this process, whatever their front end, and whether it is stopping."""

    draining: bool = False
    sessions: dict[str, Session] = field(default_factory=dict)

    @contextmanager
    def holding(self, call_id: str, session: Session) -> Iterator[None]:
        self.sessions[call_id] = session
        try:
            yield
        finally:
            del self.sessions[call_id]

    async def idle(self) -> None:
        while self.sessions:  # polled: this object outlives any one event loop (tests run several)
            await asyncio.sleep(0.05)


CALLS = LiveCalls()  # one per process: the servers refuse new calls while it drains


async def until_stopped(tts: TextToSpeech, drain_seconds: float) -> None:
    """Return once the process may close: after a signal, when the live calls have ended (those
    still going at `drain_seconds` hear `phrases.GOING_AWAY` first); at once on a second signal."""
    loop = asyncio.get_running_loop()
    signals = asyncio.Queue[int]()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, signals.put_nowait, signum)
    await signals.get()
    CALLS.draining = True
    log.info("draining: no new calls; %d in progress get %.0f s", len(CALLS.sessions), drain_seconds)
    second = asyncio.ensure_future(signals.get())
    try:
        await _first_of(drain_calls(tts, drain_seconds), second)
    finally:
        second.cancel()
    log.info("stopping: %d calls still open are closed and stored now", len(CALLS.sessions))


async def drain_calls(tts: TextToSpeech, drain_seconds: float) -> None:
    """Wait for the live calls to end; those still going after `drain_seconds` hear the goodbye."""
    try:
        await asyncio.wait_for(CALLS.idle(), drain_seconds)
        return
    except TimeoutError:
        pass
    audio = await asyncio.to_thread(_goodbye, tts)
    log.info("drain limit reached: saying goodbye to %d calls", len(CALLS.sessions))
    for session in list(CALLS.sessions.values()):
        await session.farewell(audio)
    try:
        await asyncio.wait_for(CALLS.idle(), FAREWELL_SECONDS)
    except TimeoutError:
        pass


def _goodbye(tts: TextToSpeech) -> list[AudioChunk]:
    """The goodbye, from the synthesis cache (it is among the phrases synthesized at start-up)."""
    return [chunk for piece in speakable_pieces(phrases.GOING_AWAY) for chunk in tts.synthesize(piece)]


async def _first_of(work: Coroutine[Any, Any, None], other: asyncio.Future) -> None:
    task = asyncio.ensure_future(work)
    await asyncio.wait([task, other], return_when=asyncio.FIRST_COMPLETED)
    if not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
