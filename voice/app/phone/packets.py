"""A phone call's speaker: reply audio cut into 20 ms packets, sent on a steady packet clock (RTP or AudioSocket)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from parley.voice.audio import AudioChunk, AudioFormat, StreamResampler
from parley.voice.streams import scaled

PACKET_SECONDS = 0.02  # G.711's usual ptime: 160 samples at 8 kHz
LATE_PACKETS = 5  # a clock this far behind (a stalled loop) starts afresh instead of sending a burst


class PacketSpeaker:
    """An AudioSink whose speaker is the caller's phone. A packet leaves every 20 ms: reply audio
    when there is some, silence otherwise, so the phone's jitter buffer sees one steady stream.
    What has left is what the caller heard (less the network's few milliseconds)."""

    def __init__(self, rate: int, ahead_seconds: float):
        self.format = AudioFormat(rate)
        self.packet_bytes = round(rate * PACKET_SECONDS) * 2
        self.ahead_seconds = ahead_seconds
        self._packets: deque[bytes] = deque()
        self._partial = b""  # less than a packet, waiting for more
        self._resampler = StreamResampler(rate)
        self._sent = asyncio.Event()
        self.gain = 1.0
        self.handed_samples = 0  # reply audio handed over, less what a flush dropped
        self.sent_samples = 0  # reply audio sent

    async def play(self, chunk: AudioChunk) -> None:
        audio = self._partial + self._resampler.chunk(chunk).audio
        self.handed_samples += len(audio) // 2 - len(self._partial) // 2
        whole = len(audio) - len(audio) % self.packet_bytes
        self._packets.extend(audio[i : i + self.packet_bytes] for i in range(0, whole, self.packet_bytes))
        self._partial = audio[whole:]
        while self._queued_samples() > self.ahead_seconds * self.format.rate:
            self._sent.clear()
            await self._sent.wait()

    def _queued_samples(self) -> int:
        return self.handed_samples - self.sent_samples

    def next_packet(self) -> bytes:
        """The packet to send now: reply audio at the current gain, or silence; the reply's
        last piece padded out with silence."""
        self._sent.set()
        if self._packets:
            audio = self._packets.popleft()
        else:
            audio, self._partial = self._partial, b""
        self.sent_samples += len(audio) // 2
        return scaled(AudioChunk(audio.ljust(self.packet_bytes, b"\0"), self.format), self.gain).audio

    def played_seconds(self) -> float:
        return self.sent_samples / self.format.rate

    def flush(self) -> float:
        dropped = self._queued_samples() / self.format.rate
        self._packets.clear()
        self._partial = b""
        self.handed_samples = self.sent_samples
        self._resampler.reset()
        self._sent.set()
        return dropped

    def busy(self) -> bool:
        return self._queued_samples() > 0

    def duck(self, gain: float) -> None:
        self.gain = gain  # from the next packet on: what is queued is not yet heard


async def packet_clock(speaker: PacketSpeaker, send: Callable[[bytes], object]) -> None:
    """Send the speaker's next packet every 20 ms, on deadlines counted from the start, so the
    spacing does not drift with the loop's delays; runs until cancelled."""
    loop = asyncio.get_running_loop()
    due = loop.time()
    while True:
        send(speaker.next_packet())
        due += PACKET_SECONDS
        if loop.time() - due > LATE_PACKETS * PACKET_SECONDS:
            due = loop.time()
        await asyncio.sleep(max(0.0, due - loop.time()))
