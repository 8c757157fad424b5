"""A telephone for the phone bench and tests: dials over SIP (aiosipua), talks over RTP (aiortp,
PCMU on a 20 ms packet clock), presses keys, and keeps what it hears with when it arrived."""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress
from dataclasses import dataclass, field

import numpy as np
from aiortp import RTPSession
from aiosipua import IncomingCall, OutgoingCall, SipRequest, SipUAC, SipUAS, UdpSipTransport, build_sdp
from aiosipua.refer import notify_refer

from parley.voice.app.measure.bad_line import BadLine
from parley.voice.app.phone.packets import PacketSpeaker, packet_clock
from parley.voice.audio import AudioChunk, AudioFormat

RATE = 8000
PCMU = 0
LOUD = 300  # RMS of a packet that carries speech, not the silence or comfort noise between


@dataclass
class Received:
    at: float  # time.monotonic() of arrival
    pcm: bytes

    @property
    def sound(self) -> bool:
        """Anything but the digital silence Parley sends between replies."""
        return any(self.pcm)

    @property
    def loud(self) -> bool:
        samples = np.frombuffer(self.pcm, dtype="<i2").astype(np.float32)
        return bool(samples.size) and float(np.sqrt(np.mean(samples**2))) > LOUD


@dataclass
class SipCaller:
    """One caller's phone on loopback: `dial`, then `say`, `press`, `hang_up`; `heard` is every packet in."""

    number: str = "5551234"
    host: str = "127.0.0.1"
    heard: list[Received] = field(default_factory=list)
    refer_to: str | None = None
    hung_up_on: asyncio.Event = field(default_factory=asyncio.Event)

    async def dial(self, port: int, rtp_port: int, privacy: str = "", dialled: str = "parley",
                   line: BadLine | None = None) -> None:
        """Call Parley at `port`, over `line` when given; raises RuntimeError("Call rejected: 486 ...")
        when it does not answer."""
        self.transport = UdpSipTransport(local_addr=(self.host, 0))
        self.uac = SipUAC(self.transport)
        self.uas = SipUAS(self.transport, uac=self.uac)
        self.uas.on_bye = self._bye
        self.uas.on_refer = self._refer
        await self.uas.start()
        if line is not None:
            await line.open((self.host, rtp_port))
        offer = build_sdp(self.host, line.parley_side_port if line else rtp_port, PCMU, "PCMU")
        headers = {"Privacy": privacy} if privacy else None
        self.call: OutgoingCall = self.uac.send_invite(f"sip:{self.number}@{self.host}", f"sip:{dialled}@{self.host}:{port}",
                                                       (self.host, port), offer, extra_headers=headers)
        try:
            await self.call.wait_answered(timeout=20)
        except BaseException:
            await self.uas.stop()
            raise
        assert self.call.sdp_answer is not None and self.call.sdp_answer.rtp_address is not None
        remote = self.call.sdp_answer.rtp_address
        if line is not None:
            line.reaches(remote)
            remote = (self.host, line.phone_side_port)
        # A packet is handed on once the next one arrives (aiortp's buffer frames by timestamp): arrival
        # times here are up to 20 ms late, never more, as no packets are held back for jitter; a gap is
        # given up as soon as a later packet is there, so on a bad line a loss does not stall the phone.
        self.media = await RTPSession.create((self.host, rtp_port), remote, PCMU, jitter_prefetch=1,
                                             skip_audio_gaps=True)
        self.media.on_audio = lambda pcm, timestamp: self.heard.append(Received(time.monotonic(), pcm))
        self.mouth = PacketSpeaker(RATE, ahead_seconds=0.1)
        self._clock = asyncio.create_task(packet_clock(self.mouth, self.media.send_audio_pcm_auto))

    async def say(self, audio: np.ndarray) -> float:
        """Speak int16 8 kHz `audio` in real time; returns when its last packet left (time.monotonic())."""
        await self.mouth.play(AudioChunk(audio.astype(np.int16).tobytes(), AudioFormat(RATE)))
        while self.mouth.busy():
            await asyncio.sleep(0.005)
        return time.monotonic()

    async def press(self, keys: str) -> None:
        """Keys on the keypad, as RFC 4733 events, one every 200 ms as a thumb presses them."""
        for key in keys:
            # Each press its own RTP timestamp: a receiver tells one press from the next by it.
            self.media.send_dtmf(key, 100, timestamp=int(time.monotonic() * RATE) & 0xFFFFFFFF)
            await asyncio.sleep(0.2)

    async def reply_after(self, moment: float, timeout: float = 15.0, audible: bool = True) -> float | None:
        """When the first loud packet (or, not `audible`, the first not silent) after `moment` arrived;
        None if none in `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((packet.at for packet in self.heard
                          if packet.at > moment and (packet.loud if audible else packet.sound)), None)
            if found is not None:
                return found
            await asyncio.sleep(0.01)
        return None

    def heard_loud(self, start: float, end: float) -> bool:
        """Whether anything loud arrived between two moments."""
        return any(start < packet.at <= end and packet.loud for packet in self.heard)

    async def quiet(self, seconds: float, timeout: float = 30.0) -> None:
        """Wait until nothing loud has arrived for `seconds` (the reply is over)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.hung_up_on.is_set():
            last = next((packet.at for packet in reversed(self.heard) if packet.loud), 0.0)
            if time.monotonic() - last > seconds:
                return
            await asyncio.sleep(0.05)

    def recording(self) -> np.ndarray:
        return np.frombuffer(b"".join(packet.pcm for packet in self.heard), dtype="<i2")

    async def hang_up(self) -> None:
        if not self.hung_up_on.is_set():
            self.call.hangup(self.uac)
        await self.close()

    async def close(self) -> None:
        self._clock.cancel()
        with suppress(asyncio.CancelledError):
            await self._clock
        await self.media.close()
        await self.uas.stop()

    def _bye(self, incoming: IncomingCall, request: SipRequest) -> None:
        self.hung_up_on.set()

    def _refer(self, incoming: IncomingCall, refer_to: str) -> None:
        """Asked to call someone else: this phone says it got through (a NOTIFY with 200)."""
        self.refer_to = refer_to
        notify_refer(incoming, 200, "OK")
