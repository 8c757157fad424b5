"""Scripted calls to the reservation line (tests/data/conversations.toml), with the embedded brain.

With PARLEY_TEST_LLM_URL set to an OpenAI-compatible endpoint, the same calls run through the LLM
brain instead, to measure its pass rate (PARLEY_TEST_LLM_MODEL names the model).
"""

import asyncio
import json
import os
import re
import tomllib
from datetime import date, datetime, time
from pathlib import Path

import pytest

from parley.dialogue.domain import load_domain
from parley.dialogue.reservation_brain import ReservationBrain
from parley.dialogue.types import Booking
from parley.memory.db import open_db
from parley.memory.reservations import ReservationStore

CONVERSATIONS = tomllib.loads((Path(__file__).parent / "data" / "conversations.toml").read_text())["conversation"]


def booking(row: dict) -> Booking:
    return Booking(row["party_size"], date.fromisoformat(row["day"]), time.fromisoformat(row["at"]),
                   row["name"], row["phone"], tuple(row.get("notes", ())))


async def say(brain: ReservationBrain, line: str) -> str:
    return "".join([part async for part in brain.reply(line)]).strip()


async def call(brain, lines: list[str]) -> list[str]:
    """One call, on one event loop (as a real call runs): each line said in turn."""
    return [await say(brain, line) for line in lines]


def test_there_are_at_least_30_conversations():
    assert len(CONVERSATIONS) >= 30


@pytest.mark.parametrize("script", CONVERSATIONS, ids=[c["name"] for c in CONVERSATIONS])
def test_conversation(script, tmp_path):
    domain = load_domain()
    store = ReservationStore(open_db(tmp_path / "parley.db"), domain.tables_per_slot)
    for row in script.get("existing", []):
        assert store.commit(booking(row))
    now = datetime.fromisoformat(script["now"])
    brain = ReservationBrain(domain, store, clock=lambda: now)
    if os.environ.get("PARLEY_TEST_LLM_URL"):
        brain = with_llm(brain)
    replies = asyncio.run(call(brain, [line for line, _ in script["turns"]]))
    for (line, expected), reply in zip(script["turns"], replies):
        assert re.search(expected, reply, re.IGNORECASE), f"caller: {line!r}\nparley: {reply!r}\nwanted: {expected!r}"
    assert brain.ended == script.get("ended", False)
    booked = list(store.table.rows_where("status = 'booked'", order_by="id"))
    if "booked_total" in script:
        assert len(booked) == script["booked_total"]
    if "bookings" in script:
        existing = [booking(row) for row in script.get("existing", [])]
        made = [row for row in booked if _without_id(row) not in existing]
        assert len(made) == len(script["bookings"]), made
        for want, got in zip(script["bookings"], made):
            for key, value in want.items():
                actual = json.loads(got[key]) if key == "notes" else got[key]
                assert actual == value, (key, got)


def with_llm(brain: ReservationBrain):
    from openai import AsyncOpenAI

    from parley.dialogue.llm_brain import LlmBrain

    client = AsyncOpenAI(base_url=os.environ["PARLEY_TEST_LLM_URL"], api_key="local", max_retries=0, timeout=10)
    return LlmBrain(brain, client, os.environ.get("PARLEY_TEST_LLM_MODEL", "local"), deadline_s=10)


def _without_id(row: dict) -> Booking:
    return booking({**row, "notes": json.loads(row["notes"])})
