"""Whole calls typed as people phrase them (tests/data/typed_calls.toml): each ends with its
booking, and no call hears one request more than twice in a row, whatever opens it."""

from __future__ import annotations

import asyncio
import tomllib
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from parley.dialogue.domain import load_domain
from parley.dialogue.reservation_brain import ReservationBrain
from parley.memory.db import open_db
from parley.memory.reservations import ReservationStore
from tests.callers import longest_repeat
from tests.test_conversations import call

DATA = tomllib.loads((Path(__file__).parent / "data" / "typed_calls.toml").read_text())
NOW = datetime.fromisoformat(DATA["now"])


def run(lines: list[str], db: Path) -> tuple[list[str], list[dict]]:
    domain = load_domain()
    store = ReservationStore(open_db(db), domain.tables_per_slot)
    brain = ReservationBrain(domain, store, clock=lambda: NOW)
    replies = asyncio.run(call(brain, lines))
    return replies, list(store.table.rows_where("status = 'booked'"))


@pytest.mark.parametrize("script", DATA["call"], ids=[c["lines"][0][:40] for c in DATA["call"]])
def test_a_typed_call_books_what_the_caller_asked_for(script, tmp_path):
    replies, booked = run(script["lines"], tmp_path / "parley.db")
    transcript = "\n".join(f"caller: {line}\nparley: {reply}" for line, reply in zip(script["lines"], replies))
    assert len(booked) == 1, transcript
    assert {key: booked[0][key] for key in script["booking"]} == script["booking"], transcript
    assert longest_repeat(replies) <= 2, transcript  # compared without openers ("Sorry, I missed that.")


@pytest.mark.parametrize("weekday", range(7), ids=lambda d: (NOW + timedelta(days=d)).strftime("%A"))
def test_tomorrow_at_seven_is_booked_or_refused_right_on_every_day_of_the_week(weekday, tmp_path):
    """The clock Parley reads (`Domain.now`, set by PARLEY_NOW) walked through a week: "tomorrow" is booked
    when the restaurant opens then, and on the eve of a closed day nothing is booked and the caller is told."""
    today = NOW + timedelta(days=weekday)
    domain = replace(load_domain(), fixed_now=today)
    store = ReservationStore(open_db(tmp_path / "parley.db"), domain.tables_per_slot)
    lines = ["I'd like a table for two tomorrow at seven pm.", "John Smith.", "555 1234", "Yes."]
    replies = asyncio.run(call(ReservationBrain(domain, store), lines))
    booked = [(row["day"], row["at"]) for row in store.table.rows_where("status = 'booked'")]
    tomorrow = today.date() + timedelta(days=1)
    if domain.opening(tomorrow):
        assert booked == [(tomorrow.isoformat(), "19:00")], replies
    else:
        assert booked == [] and "closed" in replies[0], replies
