"""`parley demo`: a scripted caller talks with Parley through the whole audio pipeline in real time."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from parley.dialogue.types import Booking, Transport
from parley.memory.db import delete_db, open_db
from parley.memory.reservations import ReservationStore
from parley.voice.app.measure.caller import ScriptedCaller
from parley.voice.app.measure.utterances import CALLER_LENGTH_SCALE, caller_lines
from parley.voice.app.settings import Config
from parley.voice.app.wiring import load_engines, voice_call
from parley.voice.audio import AudioChunk, AudioFormat
from parley.voice.events import (
    AgentTextEvent,
    BargeInEvent,
    TranscriptEvent,
    Turn,
    TurnFailedEvent,
    TurnTrace,
)
from parley.voice.observer import Observer
from parley.voice.streams import PacedSpeaker
from parley.voice.wav import interleave, write_wav

DEMO_SCRIPT = (
    "Hi, I would like to book a table for four people next Friday at seven thirty.",
    "My name is Sam Lee.",
    "My number is five five five, one two three four. We will need a high chair.",
    "Yes, please.",
    "No, thank you. Goodbye.",
)
DEMO_PHONE = "5551234"


class DemoView(Observer):
    """The demo's call as it goes: what Parley heard, what it said, cut-ins and failures."""

    def transcript(self, event: TranscriptEvent) -> None:
        print(f"caller (as Parley heard it): {event.text}", flush=True)

    def agent_text(self, event: AgentTextEvent) -> None:
        print(f"parley: {event.text}", flush=True)

    def barge_in(self, event: BargeInEvent) -> None:
        print(f"  (caller cut in; they heard: {event.heard!r})", flush=True)

    def turn_failed(self, event: TurnFailedEvent) -> None:
        print(f"  (this turn failed: {event.error})", flush=True)


def latency_table(traces: list[TurnTrace]) -> str:
    header = f"{'turn':>4}  {'endpoint':>8}  {'stt':>6}  {'dialogue':>8}  {'tts':>6}  {'total':>6}   (ms)"
    rows = [header]
    for number, t in enumerate(traces, 1):
        rows.append(
            f"{number:>4}  {t.endpoint_wait_ms:>8.0f}  {t.stt_ms:>6.0f}  {t.dialogue_ms:>8.0f}"
            f"  {t.tts_ms:>6.0f}  {t.total_ms:>6.0f}"
        )
    return "\n".join(rows)


async def run_demo(config: Config, out: Path, db: Path | None = None, user: str | None = None,
                   turns: int | None = None) -> list[Turn]:
    """Without `db`, the call books into a fresh database beside `out`, so every run starts the same."""
    if db is None:
        db = out.with_suffix(".db")
        delete_db(db)
    engines = load_engines(config)
    rate = config.audio.sample_rate
    script = list(DEMO_SCRIPT[:turns] if turns else DEMO_SCRIPT)
    lines = caller_lines(engines, script, rate, CALLER_LENGTH_SCALE)
    speaker = PacedSpeaker(AudioFormat(rate), config.session.playback_ahead_ms / 1000)
    caller = ScriptedCaller(lines, speaker, rate, config.audio.chunk_ms, greeted=True)
    who = ("user", user) if user else None
    async with voice_call(config, engines, caller, speaker, DemoView(), db=db, transport=Transport.DEMO, who=who) as call:
        history = await call.run()
    traces = [turn.trace for turn in history if turn.trace is not None]
    print()
    print(latency_table(traces))
    path = write_wav(out, conversation_audio(caller, speaker, rate))
    print(f"\nconversation audio (caller left, Parley right): {path}")
    for booking in booked_by_phone(db, DEMO_PHONE):
        print(f"booked in {db}: {booking.party_size} people on {booking.day:%A %d %B} at {booking.at:%H:%M}, "
              f"for {booking.name}, phone {booking.phone}")
    return history


def booked_by_phone(db: Path, phone: str) -> list[Booking]:
    """What the caller booked, read back from the database as anyone would see it."""
    return ReservationStore(open_db(db), tables_per_slot=0).find(phone=phone)  # capacity is not asked


def conversation_audio(caller: ScriptedCaller, speaker: PacedSpeaker, rate: int) -> AudioChunk:
    """Caller and Parley on two channels of one timeline, starting when the speaker was made."""
    started = caller.started_at if caller.started_at is not None else speaker.origin
    offset = int(round((started - speaker.origin) * rate))
    caller_track = np.concatenate([np.zeros(offset, dtype=np.int16), caller.recording()])
    return interleave([caller_track, speaker.recording()], rate)


def main(config: Config, out: Path, db: Path | None, user: str | None, turns: int | None) -> int:
    asyncio.run(run_demo(config, out, db, user, turns))
    return 0
