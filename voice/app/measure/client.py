"""A simulated browser: streams a scripted caller to `parley serve` in real time and plays the replies."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from parley.voice import protocol
from parley.voice.app.measure.caller import ScriptedCaller
from parley.voice.audio import AudioFormat

REPORT_SECONDS = 0.1


class ClientPlayer:
    """Plays received reply audio in (simulated) real time, as the page's player does; what
    ScriptedCaller needs of a speaker to wait its turn."""

    def __init__(self, rate: int):
        self.rate = rate
        self._loop = asyncio.get_running_loop()
        self._end = self._loop.time()
        self.handed_seconds = 0.0  # received, less what a flush dropped

    def enqueue(self, pcm: bytes) -> None:
        seconds = len(pcm) / 2 / self.rate
        self._end = max(self._end, self._loop.time()) + seconds
        self.handed_seconds += seconds

    def played(self) -> float:
        return self.handed_seconds - max(0.0, self._end - self._loop.time())

    def busy(self) -> bool:
        return self._end > self._loop.time()

    def flush(self, played: float) -> None:
        self.handed_seconds = played
        self._end = min(self._end, self._loop.time())


@dataclass
class _Timing:
    """Shared by sender and receiver: when the caller's last line stopped, until the reply answers it."""

    speaking: bool = False
    last_voiced_at: float | None = None


M = TypeVar("M", bound=protocol.Message)


@dataclass
class ClientCall:
    """What one client saw of its call."""

    messages: list[protocol.BrowserMessage] = field(default_factory=list)
    audio_seconds: float = 0.0
    client_latency_ms: list[float] = field(default_factory=list)  # last voiced sample sent -> first reply audio in
    close_code: int | None = None

    def of_type(self, kind: type[M]) -> list[M]:
        return [m for m in self.messages if isinstance(m, kind)]

    @property
    def server_latency_ms(self) -> list[float]:
        return [m.latency["total_ms"] for m in self.of_type(protocol.TurnTimed)]


async def call(url: str, caller_lines: list[np.ndarray], client_id: str, rate: int = 16000, chunk_ms: int = 20,
               noise_level: float = 0.002) -> ClientCall:
    """One call: hello, the caller's lines each after Parley's reply has played, then bye."""
    result = ClientCall()
    async with connect(url, max_size=2**24) as ws:
        await ws.send(protocol.Hello(client_id, AudioFormat(rate)).encode())
        ready = protocol.parse_for_client(await ws.recv(decode=True))
        result.messages.append(ready)
        if not isinstance(ready, protocol.Ready) or ready.audio is None:
            result.close_code = ws.close_code
            return result
        player = ClientPlayer(ready.audio.rate)
        caller = ScriptedCaller(caller_lines, player, rate, chunk_ms, noise_level=noise_level, greeted=True)
        try:
            async with asyncio.TaskGroup() as group:
                timing = _Timing()
                receiving = group.create_task(_receive(ws, player, result, timing))
                reporting = group.create_task(_report(ws, player))
                await _send(ws, caller, timing)
                await ws.send(protocol.Bye().encode())
                await receiving
                reporting.cancel()
        except* ConnectionClosed:
            pass  # the server ended the call (the caller said goodbye), or went away
        finally:
            result.close_code = ws.close_code
    return result


async def _send(ws: ClientConnection, caller: ScriptedCaller, timing: _Timing) -> None:
    loop = asyncio.get_running_loop()
    async for chunk in caller.chunks():
        speaking = caller.more_to_say
        await ws.send(chunk.audio)
        if timing.speaking and not speaking:
            timing.last_voiced_at = loop.time()  # this chunk held the line's last voiced sample
        timing.speaking = speaking


async def _receive(ws: ClientConnection, player: ClientPlayer, result: ClientCall, timing: _Timing) -> None:
    loop = asyncio.get_running_loop()
    async for message in ws:
        if isinstance(message, bytes):
            player.enqueue(message)
            result.audio_seconds += len(message) / 2 / player.rate
            if timing.last_voiced_at is not None:
                result.client_latency_ms.append(round((loop.time() - timing.last_voiced_at) * 1000, 1))
                timing.last_voiced_at = None
            continue
        parsed = protocol.parse_for_client(message)
        result.messages.append(parsed)
        if isinstance(parsed, protocol.Flush):
            player.flush(parsed.played)


async def _report(ws: ClientConnection, player: ClientPlayer) -> None:
    while True:
        await asyncio.sleep(REPORT_SECONDS)
        await ws.send(protocol.Played(round(player.played(), 3)).encode())
