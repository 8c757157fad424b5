"""`parley talk`: a conversation through the local microphone and speaker, its state shown in the terminal."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from parley.dialogue.types import Transport
from parley.voice.app.settings import Config
from parley.voice.app.wiring import load_engines, voice_call
from parley.voice.echo import EchoFilter, PlayedAudio
from parley.voice.events import (
    AgentTextEvent,
    AudioDroppedEvent,
    BackchannelEvent,
    BargeInEvent,
    PartialTranscriptEvent,
    StateEvent,
    TranscriptEvent,
    TurnFailedEvent,
    TurnLatencyEvent,
)
from parley.voice.observer import Observer
from parley.voice.sound import (
    DeviceError,
    SoundDeviceSource,
    SoundDeviceSpeaker,
    device_list,
    device_rate,
    find_device,
)

STATE_LABELS = {"listening": "listening", "hearing": "hearing you", "thinking": "thinking", "speaking": "speaking"}


class TerminalView(Observer):
    """The conversation as it happens. On a terminal the state and the words being heard live on
    one status line that is rewritten; piped, every change is a line of its own."""

    def __init__(self, out: TextIO = sys.stdout):
        self.out = out
        self.live = out.isatty()
        self._status = ""

    def state(self, event: StateEvent) -> None:
        self._show_status(f"[{STATE_LABELS[event.state]}]")

    def partial_transcript(self, event: PartialTranscriptEvent) -> None:
        self._show_status(f"[hearing you] {event.text}")

    def transcript(self, event: TranscriptEvent) -> None:
        self._say(f"you: {event.text}")

    def agent_text(self, event: AgentTextEvent) -> None:
        self._say(f"parley: {event.text}")

    def turn_latency(self, event: TurnLatencyEvent) -> None:
        t = event.trace
        self._say(f"  turn latency {t.total_ms:.0f} ms (endpoint wait {t.endpoint_wait_ms:.0f}, speech to text "
                  f"{t.stt_ms:.0f}, dialogue {t.dialogue_ms:.0f}, speech out {t.tts_ms:.0f})")

    def barge_in(self, event: BargeInEvent) -> None:
        self._say(f"  (you cut in; you heard: {event.heard!r})")

    def backchannel(self, event: BackchannelEvent) -> None:
        self._say(f"  (you said {event.text!r} over Parley; it went on)")

    def turn_failed(self, event: TurnFailedEvent) -> None:
        self._say(f"  (this turn failed: {event.error})")

    def audio_dropped(self, event: AudioDroppedEvent) -> None:
        self._say(f"  (falling behind: {event.chunks} microphone blocks dropped)")

    def _show_status(self, text: str) -> None:
        self._status = text
        if self.live:
            self.out.write(f"\r\033[K{text}")
        else:
            self.out.write(f"{text}\n")
        self.out.flush()

    def _say(self, line: str) -> None:
        if self.live:  # the line goes above the status line, which is redrawn under it
            self.out.write(f"\r\033[K{line}\n{self._status}")
        else:
            self.out.write(f"{line}\n")
        self.out.flush()


@contextmanager
def local_audio(config: Config) -> Iterator[tuple[SoundDeviceSource, SoundDeviceSpeaker]]:
    """The configured microphone (through the echo filter) and speaker, open for the block."""
    settings = config.talk
    microphone = find_device(settings.input_device, "input")
    speaker_device = find_device(settings.output_device, "output")
    print(f"microphone: {microphone['name']}; speaker: {speaker_device['name']}; echo: {settings.echo}", flush=True)
    rate = config.audio.sample_rate
    played = PlayedAudio(device_rate(speaker_device, "output"), rate)
    echo = EchoFilter(settings.echo, played, rate, settings.echo_margin_db)
    source = SoundDeviceSource(microphone, rate, settings.block_ms, config.audio.input_queue_chunks, echo)
    with SoundDeviceSpeaker(speaker_device, settings.block_ms, config.session.playback_ahead_ms / 1000,
                            played) as speaker:
        yield source, speaker


async def talk(config: Config, db: Path | None, user: str | None, view: TerminalView) -> None:
    with local_audio(config) as (source, speaker):
        engines = load_engines(config)
        who = ("user", user) if user else None
        async with voice_call(config, engines, source, speaker, view, db=db, transport=Transport.TALK, who=who) as call:
            await call.run()


def main(config: Config, db: Path | None, user: str | None) -> int:
    return in_terminal(talk(config, db, user, TerminalView()))


def in_terminal(call: Coroutine) -> int:
    """Run a call until it ends, Ctrl-C, or a lost device; the exit status."""
    status = 0
    try:
        asyncio.run(call)
        print("\ncall ended", flush=True)
    except* DeviceError as errors:
        print(f"\nparley: {errors.exceptions[0]}", file=sys.stderr)
        status = 1
    except* KeyboardInterrupt:
        print("\ncall ended; memory saved", flush=True)
    return status


def devices() -> int:
    try:
        print(device_list())
    except DeviceError as error:
        print(f"parley: {error}", file=sys.stderr)
        return 1
    return 0
