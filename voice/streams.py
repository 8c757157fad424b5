"""Where audio comes from and goes to: the source and sink Protocols, a WAV source, a paced speaker."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from parley.voice.audio import AudioChunk, AudioFormat, StreamResampler


class AudioSource(Protocol):
    """Live or recorded input, 16-bit mono at the pipeline's rate, in small chunks."""

    def chunks(self) -> AsyncGenerator[AudioChunk, None]: ...


class AudioSink(Protocol):
    """A speaker: takes reply audio, plays it in real time, and can drop what is still queued."""

    async def play(self, chunk: AudioChunk) -> None:
        """Queue audio for playback; waits while too much is already queued (backpressure). The
        chunk counts as handed over before the first await, so a cancelled play() still played it."""

    def flush(self) -> float:
        """Drop every queued sample not played yet; returns the seconds dropped."""

    def busy(self) -> bool:
        """Whether audio is still playing or queued."""

    def duck(self, gain: float) -> None:
        """Play what is not yet heard at `gain` (1.0: full volume), until told otherwise."""


def scaled(chunk: AudioChunk, gain: float) -> AudioChunk:
    """`chunk` (16-bit) at `gain`."""
    if gain == 1.0:
        return chunk
    samples = np.clip(chunk.to_array().astype(np.float32) * gain, -32768, 32767).astype(np.int16)
    return AudioChunk(samples.tobytes(), chunk.format)


def split(chunk: AudioChunk, chunk_ms: int) -> list[AudioChunk]:
    """`chunk` cut into pieces of `chunk_ms` (the last may be shorter)."""
    step = chunk.format.rate * chunk_ms // 1000 * chunk.format.width * chunk.format.channels
    return [AudioChunk(chunk.audio[i : i + step], chunk.format) for i in range(0, len(chunk.audio), step)]


async def paced(chunks: list[AudioChunk], realtime: bool) -> AsyncGenerator[AudioChunk, None]:
    """Yield each chunk once it would have been fully captured, when `realtime`; else at once."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    elapsed = 0.0
    for chunk in chunks:
        elapsed += chunk.seconds
        if realtime:
            await asyncio.sleep(max(0.0, start + elapsed - loop.time()))
        else:
            await asyncio.sleep(0)
        yield chunk


@dataclass
class WavSource:
    """A recording played into the pipeline, in chunks, optionally at the pace of real time."""

    audio: AudioChunk
    chunk_ms: int = 20
    realtime: bool = True

    def chunks(self) -> AsyncGenerator[AudioChunk, None]:
        return paced(split(self.audio, self.chunk_ms), self.realtime)


@dataclass
class _Segment:
    start: float  # loop time at which its first sample plays
    chunk: AudioChunk
    gain: float = 1.0


class PacedSpeaker:
    """A virtual speaker that plays at real-time pace and keeps what it played, for WAV output.

    Used where there is no sound card (demo, bench, tests); its notion of "played" is the same
    as a real device's: a sample is played once its time has come. `speed` > 1 plays faster
    than real time, for a benchmark that needs replies heard but not listened to.
    """

    def __init__(self, fmt: AudioFormat, ahead_seconds: float = 2.0, speed: float = 1.0):
        self.format = fmt
        self.ahead_seconds = ahead_seconds
        self.speed = speed
        self._loop = asyncio.get_running_loop()
        self.origin = self._loop.time()
        self._segments: list[_Segment] = []
        self._end = self.origin
        self.handed_seconds = 0.0  # all audio ever handed to play(), flushed or not
        self._resampler = StreamResampler(fmt.rate)
        self.gain = 1.0
        self.ducks = 0  # how often playback was ducked, for the bench

    async def play(self, chunk: AudioChunk) -> None:
        chunk = self._resampler.chunk(chunk)
        now = self._loop.time()
        start = max(now, self._end)
        self._segments.append(_Segment(start, chunk, self.gain))
        self._end = start + chunk.seconds / self.speed
        self.handed_seconds += chunk.seconds
        await asyncio.sleep(max(0.0, self._end - now - self.ahead_seconds))

    def flush(self) -> float:
        now = self._loop.time()
        dropped = max(0.0, self._end - now)
        kept = []
        for segment in self._segments:
            if segment.start >= now:
                continue
            keep_seconds = (now - segment.start) * self.speed
            if keep_seconds < segment.chunk.seconds:
                keep_bytes = int(keep_seconds * self.format.rate) * self.format.width
                segment = _Segment(segment.start, AudioChunk(segment.chunk.audio[:keep_bytes], segment.chunk.format),
                                   segment.gain)
            kept.append(segment)
        self._segments = kept
        self._end = min(self._end, now)
        self._resampler.reset()
        return dropped

    def busy(self) -> bool:
        return self._end > self._loop.time()

    def duck(self, gain: float) -> None:
        now = self._loop.time()
        self.ducks += gain < 1.0 <= self.gain
        self._segments = [_Segment(s.start, s.chunk, gain) if s.start >= now else s for s in self._segments]
        self.gain = gain

    def recording(self) -> np.ndarray:
        """Everything played (at speed 1), as int16 samples placed at their time since the speaker was made."""
        rate = self.format.rate
        length = int((self._end - self.origin) * rate) + 1
        track = np.zeros(length, dtype=np.int16)
        for segment in self._segments:
            samples = scaled(segment.chunk, segment.gain).to_array()
            at = int((segment.start - self.origin) * rate)
            track[at : at + len(samples)] = samples[: length - at]
        return track


class PushedSource:
    """Audio frames pushed in by a network peer (a browser, a phone line), converted to the pipeline's rate.

    It holds nothing back and drops nothing: each frame is handed on the same turn of the event loop
    to the session, whose one input queue drops the oldest audio when the session lags, and counts it
    (`AudioDroppedEvent`, the metric), whichever way the audio came in."""

    def __init__(self, fmt: AudioFormat, rate: int):
        self.format = fmt
        self.rate = rate
        self._ready: deque[AudioChunk] = deque()
        self._arrived = asyncio.Event()
        self._closed = False
        self._odd_byte = b""
        self._resampler = StreamResampler(rate)

    def feed(self, pcm: bytes) -> None:
        pcm = self._odd_byte + pcm  # a frame may split a 16-bit sample; keep the half for the next
        whole = len(pcm) - len(pcm) % 2
        self._odd_byte = pcm[whole:]
        if whole:
            chunk = self._resampler.chunk(AudioChunk(pcm[:whole], self.format))
            if chunk.audio:  # a stream's first frames can all stay in the resampler
                self._ready.append(chunk)
                self._arrived.set()

    def close(self) -> None:
        self._closed = True
        self._arrived.set()

    async def chunks(self) -> AsyncGenerator[AudioChunk, None]:
        while self._ready or not self._closed:
            while self._ready:
                yield self._ready.popleft()
            self._arrived.clear()
            if not self._closed:
                await self._arrived.wait()
