"""Whole calls typed as people phrase them (tests/data/typed_calls.toml): each ends with its
booking, and no call hears one question more than three times in a row."""

from __future__ import annotations

import asyncio
import tomllib
from datetime import datetime
from pathlib import Path

import pytest

from dialogue.domain import load_domain
from dialogue.reservation_brain import ReservationBrain
from memory.db import open_db
from memory.reservations import ReservationStore
from tests.test_conversations import call

DATA = tomllib.loads((Path(__file__).parent / "data" / "typed_calls.toml").read_text())
NOW = datetime.fromisoformat(DATA["now"])


def run(lines: list[str], db: Path) -> tuple[list[str], list[dict]]:
    domain = load_domain()
    store = ReservationStore(open_db(db), domain.tables_per_slot)
    brain = ReservationBrain(domain, store, clock=lambda: NOW)
    replies = asyncio.run(call(brain, lines))
    return replies, list(store.table.rows_where("status = 'booked'"))


def longest_repeat(replies: list[str]) -> int:
    """The most times in a row one question (a reply's last sentence) was asked."""
    questions = [reply.rsplit(". ", 1)[-1] for reply in replies]
    longest = run_length = 1
    for before, after in zip(questions, questions[1:]):
        run_length = run_length + 1 if after == before else 1
        longest = max(longest, run_length)
    return longest


@pytest.mark.parametrize("script", DATA["call"], ids=[c["lines"][0][:40] for c in DATA["call"]])
def test_a_typed_call_books_what_the_caller_asked_for(script, tmp_path):
    replies, booked = run(script["lines"], tmp_path / "parley.db")
    transcript = "\n".join(f"caller: {line}\nparley: {reply}" for line, reply in zip(script["lines"], replies))
    assert len(booked) == 1, transcript
    assert {key: booked[0][key] for key in script["booking"]} == script["booking"], transcript
    assert longest_repeat(replies) <= 3, transcript
