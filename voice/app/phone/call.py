"""One phone call, however it arrived (SIP and RTP, or AudioSocket): audio both ways, the keypad, the session."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

from parley.dialogue.domain import Domain
from parley.dialogue.turn_end import Expect
from parley.dialogue.types import Transport
from parley.voice.app.phone.keypad import Keypad, ToneDetector
from parley.voice.app.phone.packets import PacketSpeaker, packet_clock
from parley.voice.app.settings import Config
from parley.voice.app.wiring import voice_call
from parley.voice.audio import AudioFormat
from parley.voice.reply import Engines
from parley.voice.session import Session
from parley.voice.streams import PushedSource

log = logging.getLogger(__name__)

WATCH_SECONDS = 0.5


class CallOver(Exception):
    """The caller hung up, or their audio stopped."""


class PhoneCall:
    """A call at the phone's sample rate: what the caller sends goes to `audio` and `key`; `converse`
    runs the session until either side ends it."""

    def __init__(self, config: Config, rate: int, label: str):
        self.config = config
        self.label = label  # for the logs: the SIP Call-ID or the AudioSocket UUID
        self.source = PushedSource(AudioFormat(rate), config.audio.sample_rate)
        self.speaker = PacketSpeaker(rate, config.session.playback_ahead_ms / 1000)
        self.heard_at = time.monotonic()  # the caller's last audio
        self.hung_up = asyncio.Event()
        self.keypad = Keypad()
        self.tones = ToneDetector(rate)
        self.tones_seen = False  # keypad events arrived: in-band tones are no longer listened for
        self.session: Session | None = None

    def audio(self, pcm: bytes) -> None:
        self.heard_at = time.monotonic()
        self.source.feed(pcm)
        if not self.tones_seen and self._expects_digits():
            for key in self.tones.feed(pcm):
                self.key(key)

    def event(self, key: str) -> None:
        """A key from the phone's keypad events (RFC 4733, AudioSocket's DTMF)."""
        self.tones_seen = True
        self.key(key)

    def key(self, key: str) -> None:
        """A key pressed: a number once hash ends it, taken while Parley expects one."""
        typed = self.keypad.press(key)
        if typed and self.session is not None and self._expects_digits():
            self.session.typed(typed)

    def _expects_digits(self) -> bool:
        return self.session is not None and self.session.brain.listening().expect == Expect.DIGITS

    async def converse(self, engines: Engines, db: Path | None, who: tuple[str, str] | None,
                       send: Callable[[bytes], object], timeout: float, domain: Domain | None = None) -> str:
        """The call as a session until either side ends it; memory is saved as the brain closes.
        Returns where the caller asked to be put through to, or ""."""
        try:
            async with voice_call(self.config, engines, self.source, self.speaker, db=db, transport=Transport.PHONE,
                                  who=who, call_id=self.label, domain=domain) as session, asyncio.TaskGroup() as group:
                self.session = session
                group.create_task(packet_clock(self.speaker, send))
                group.create_task(self._watch(timeout))
                await session.run()
                raise CallOver
        except* CallOver:
            pass
        return self.session.brain.hand_over_to if self.session and not self.hung_up.is_set() else ""

    async def _watch(self, timeout: float) -> None:
        """Raises CallOver once the caller hangs up or their audio stops for `timeout` seconds."""
        while not self.hung_up.is_set():
            if time.monotonic() - self.heard_at > timeout:
                log.info("call %s: no audio for %.0f s, hanging up", self.label, timeout)
                break
            try:
                await asyncio.wait_for(self.hung_up.wait(), WATCH_SECONDS)
            except TimeoutError:
                pass
        self.source.close()
        raise CallOver
