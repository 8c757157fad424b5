"""The one place that wires Parley: speech engines once per process; for each call a brain on the
database, and a session between a source and a speaker. Every front end calls it."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from parley.dialogue import phrases
from parley.dialogue.brain import Brain
from parley.dialogue.domain import Domain, load_domain
from parley.dialogue.name_lexicon import lexicon
from parley.dialogue.reservation_brain import ReservationBrain
from parley.dialogue.types import Transport
from parley.memory.callers import Callers, CallLog
from parley.memory.db import default_db_path, open_db
from parley.memory.people import Memory
from parley.memory.reservations import ReservationStore
from parley.voice.app.ops.drain import CALLS
from parley.voice.app.ops.logs import in_call
from parley.voice.app.ops.watch import CallWatch
from parley.voice.app.settings import Config, LlmConfig
from parley.voice.events import SessionEvent
from parley.voice.moonshine import MoonshineSTT
from parley.voice.reply import Engines
from parley.voice.session import Session
from parley.voice.speakable import speakable_pieces
from parley.voice.streams import AudioSink, AudioSource
from parley.voice.stt import FasterWhisperSTT, SpeechToText
from parley.voice.tts import PiperTTS

if TYPE_CHECKING:
    from parley.dialogue.llm_brain import LlmBrain

NO_KEY = "not-needed"  # local OpenAI-compatible servers ignore the key, but the client wants one


def load_engines(config: Config) -> Engines:
    """Load and warm up the speech models and the phrases said most; slow (seconds): once per process."""
    domain = load_domain(config.dialogue.domain or None)
    tts = PiperTTS(config.tts)
    tts.remember([piece for phrase in phrases.frequent(domain) for piece in speakable_pieces(phrase)])
    lexicon()  # the census's names, read now rather than on the first call's first name (about 0.1 s)
    return Engines(stt=load_stt(config, domain), tts=tts)


def load_stt(config: Config, domain: Domain) -> SpeechToText:
    if config.stt.engine == "moonshine":
        return MoonshineSTT(config.stt)  # no prompt: Moonshine takes none
    prompt = phrases.what_callers_say(domain) if config.stt.prompt == "auto" else config.stt.prompt
    return FasterWhisperSTT(config.stt, prompt)


def build_brain(config: Config, db: Path | None, transport: Transport, who: tuple[str, str] | None = None,
                clock: Callable[[], datetime] | None = None, records_turns: bool = True,
                domain: Domain | None = None) -> ReservationBrain | LlmBrain:
    """The brain for one call over `transport`; `who` is how the caller identifies up front, if at all:
    ("user", NAME) from --user, ("client", ID) from a browser or a satellite. `domain` is the
    restaurant as a server read it once; without it, the config's file is read. Opens the database:
    blocking, so a running event loop calls it through `open_brain`."""
    domain = domain or load_domain(config.dialogue.domain or None)
    path = db or default_db_path()
    # Two connections (WAL allows it): the brain's writer thread writes on one, in transactions;
    # the event loop reads on the other, so its reads never share the writer's connection.
    writes, reads = open_db(path), open_db(path)
    store, memory = ReservationStore(writes, domain.tables_per_slot, str(transport)), Memory(writes)
    person = memory.recognize(*who) if who else None
    call = CallLog(memory, store, transport, person, records_turns)
    calendar = ReservationStore(reads, domain.tables_per_slot)
    callers = Callers(Memory(reads), calendar)
    # A session on this machine may take a reply back: its effects wait for the reply to stand.
    # Typed chat never does, and a satellite's session (on the device) cannot over the link.
    holds = transport not in (Transport.CHAT, Transport.SATELLITE, Transport.SATELLITE_OFFLINE)
    brain = ReservationBrain(domain, store, clock, call, callers.as_caller(person) if person else None, callers,
                             calendar, phone_line=transport == Transport.PHONE, spoken=transport != Transport.CHAT,
                             holds_effects=holds)
    return llm_brain(brain, config.llm) if config.llm.base_url else brain


def llm_brain(brain: ReservationBrain, llm: LlmConfig) -> LlmBrain:
    from openai import (
        AsyncOpenAI,  # imported only when an LLM is configured: it takes seconds
    )

    from parley.dialogue.llm_brain import LlmBrain

    deadline = llm.deadline_ms / 1000
    client = AsyncOpenAI(base_url=llm.base_url, api_key=os.environ.get(llm.api_key_env) or NO_KEY,
                         max_retries=0, timeout=deadline)
    return LlmBrain(brain, client, llm.model, deadline)


@asynccontextmanager
async def open_brain(config: Config, db: Path | None, transport: Transport, who: tuple[str, str] | None = None,
                     clock: Callable[[], datetime] | None = None,
                     records_turns: bool = True, domain: Domain | None = None) -> AsyncIterator[ReservationBrain | LlmBrain]:
    """A call's brain, its database opened off the event loop; closed on the way out, whatever
    ended the call (goodbye, Ctrl-C, a lost device or client), so what was said is saved."""
    brain = await asyncio.to_thread(build_brain, config, db, transport, who, clock, records_turns, domain)
    async with closing_brain(brain):
        yield brain


@asynccontextmanager
async def closing_brain(brain: Brain) -> AsyncIterator[Brain]:
    try:
        yield brain
    finally:
        await brain.close()


@asynccontextmanager
async def voice_call(config: Config, engines: Engines, source: AudioSource, speaker: AudioSink,
                     on_event: Callable[[SessionEvent], None] = lambda event: None, *, brain: Brain | None = None,
                     db: Path | None = None, transport: Transport = Transport.VOICE, who: tuple[str, str] | None = None,
                     clock: Callable[[], datetime] | None = None, streaming: bool = True,
                     hang_up: bool = True, call_id: str = "", domain: Domain | None = None) -> AsyncIterator[Session]:
    """One voice call: a session between `source` and `speaker` on `brain`, or on a brain opened
    on `db` for `transport`. The brain is closed when the block ends, whatever ended it. The call is
    counted in the metrics, named on its log lines, and known to a draining server."""
    with in_call(call_id or secrets.token_hex(8)) as context:
        opened = closing_brain(brain) if brain is not None else open_brain(config, db, transport, who, clock, domain=domain)
        async with opened as used:
            watch = CallWatch(str(transport), used, context)
            session = Session(config.pipeline, engines, used, source, speaker, watch.observing(on_event), streaming, hang_up)
            with CALLS.holding(context.call_id, session), watch.running(session):
                yield session
