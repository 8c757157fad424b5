"""Which brain a process gets: the reservation line, read by the embedded rules or by a configured LLM."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dialogue.domain import load_domain
from dialogue.reservation_brain import ReservationBrain
from memory.callers import Callers, CallLog
from memory.db import default_db_path, open_db
from memory.people import Memory
from memory.reservations import ReservationStore
from voice.config import Config, ConfigError, LlmConfig

if TYPE_CHECKING:
    from dialogue.llm_brain import LlmBrain

NO_KEY = "not-needed"  # local OpenAI-compatible servers ignore the key, but the client wants one


def build_brain(config: Config, db: Path | None, transport: str, who: tuple[str, str] | None = None,
                clock: Callable[[], datetime] | None = None, records_turns: bool = True) -> ReservationBrain | LlmBrain:
    """The brain for one call over `transport`; `who` is how the caller identifies up front, if at all:
    ("user", NAME) from --user, ("client", ID) from a browser or a satellite."""
    domain = load_domain(config.dialogue.domain or None)
    database = open_db(db or default_db_path())
    store, memory = ReservationStore(database, domain.tables_per_slot), Memory(database)
    person = memory.recognize(*who) if who else None
    call = CallLog(memory, store, transport, person, records_turns)
    caller = Callers(memory, store).as_caller(person) if person else None
    brain = ReservationBrain(domain, store, clock, call, caller)
    return llm_brain(brain, config.llm) if config.llm.base_url else brain


def llm_brain(brain: ReservationBrain, llm: LlmConfig) -> LlmBrain:
    from openai import (
        AsyncOpenAI,  # imported only when an LLM is configured: it takes seconds
    )

    from dialogue.llm_brain import LlmBrain

    if not llm.model:
        raise ConfigError("llm.model: name the model the endpoint at llm.base_url serves")
    deadline = llm.deadline_ms / 1000
    client = AsyncOpenAI(base_url=llm.base_url, api_key=os.environ.get(llm.api_key_env) or NO_KEY,
                         max_retries=0, timeout=deadline)
    return LlmBrain(brain, client, llm.model, deadline)
