"""A WebSocket client as a session's audio source and speaker, with one ordered outgoing queue."""

from __future__ import annotations

import asyncio

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from parley.voice.audio import AudioChunk, AudioFormat, StreamResampler
from parley.voice.protocol import Duck, Flush, Message

OUTBOX_ITEMS = 256  # messages waiting to be sent; reply audio is paced, so only a stuck client fills it
PLAYED_SLACK = 0.005  # seconds of audio a client may be behind and still count as done playing


async def close_draining(connection: ServerConnection, code: int, reason: str) -> None:
    """Close, reading on meanwhile: a client whose unread frames fill the queue (a flood) would
    otherwise hold its close frame behind them until the close timeout."""
    drain = asyncio.create_task(_discard(connection))
    try:
        await connection.close(code, reason)
    finally:
        drain.cancel()


async def _discard(connection: ServerConnection) -> None:
    try:
        async for _ in connection:
            pass
    except ConnectionClosed:
        pass


class ClientTooSlow(Exception):
    """The client does not read what it is sent."""


class Outbox:
    """Everything sent to one client, in order: events never wait (a full outbox means the client
    has stopped reading); audio waits for room (backpressure on synthesis)."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[str | bytes] = asyncio.Queue(OUTBOX_ITEMS)
        self._stuck = asyncio.Event()
        self._sending: str | bytes | None = None  # taken from the queue, not yet handed to a connection

    def event(self, message: Message) -> None:
        try:
            self._queue.put_nowait(message.encode())
        except asyncio.QueueFull:
            self._stuck.set()

    async def audio(self, pcm: bytes) -> None:
        await self._queue.put(pcm)

    async def send_all(self, connection: ServerConnection) -> None:
        """The writer task: sends until cancelled; the connection's own buffer limits what is in flight.
        A message whose connection dropped as it was sent goes first on the next (a resumed call)."""
        while True:
            if self._sending is None:
                self._sending = await self._queue.get()
            await connection.send(self._sending)
            self._sending = None
            self._queue.task_done()

    async def drained(self) -> None:
        await self._queue.join()

    async def stuck(self) -> None:
        """Raises ClientTooSlow once an event found the outbox full."""
        await self._stuck.wait()
        raise ClientTooSlow(f"client too slow: {OUTBOX_ITEMS} messages unread")


class WebSocketSpeaker:
    """An AudioSink whose speaker is the client's: audio is sent as it is made, the client plays
    it and reports how much it has played, and that report says what the user has heard.

    Between reports, playback is assumed to go on in real time, but never past what was sent
    nor past where it could be had the client played every sample the moment it arrived.
    """

    def __init__(self, outbox: Outbox, fmt: AudioFormat, ahead_seconds: float):
        self.format = fmt
        self.ahead_seconds = ahead_seconds
        self._outbox = outbox
        self._loop = asyncio.get_running_loop()
        self._end = self._loop.time()  # when all audio sent could at the earliest have been played
        self.handed_seconds = 0.0  # audio sent, less what a flush dropped
        self._report: tuple[float, float] | None = None  # (seconds played, loop time of the report)
        self._resampler = StreamResampler(fmt.rate)

    async def play(self, chunk: AudioChunk) -> None:
        chunk = self._resampler.chunk(chunk)
        now = self._loop.time()
        self._end = max(now, self._end) + chunk.seconds
        self.handed_seconds += chunk.seconds
        await self._outbox.audio(chunk.audio)
        await asyncio.sleep(max(0.0, self._end - self._loop.time() - self.ahead_seconds))

    def report(self, played_seconds: float) -> None:
        self._report = (min(played_seconds, self.handed_seconds), self._loop.time())

    def played_seconds(self) -> float:
        now = self._loop.time()
        earliest = self.handed_seconds - max(0.0, self._end - now)
        if self._report is None:
            return earliest
        played, at = self._report
        return min(earliest, played + (now - at))

    def flush(self) -> float:
        played = self.played_seconds()
        dropped = self.handed_seconds - played
        self.handed_seconds = played
        self._end = min(self._end, self._loop.time())
        self._report = (played, self._loop.time())
        self._resampler.reset()
        self._outbox.event(Flush(round(played, 3)))
        return dropped

    def busy(self) -> bool:
        return self.played_seconds() < self.handed_seconds - PLAYED_SLACK

    def duck(self, gain: float) -> None:
        """The client plays the reply through a gain it sets at once, queued audio included."""
        self._outbox.event(Duck(gain))
