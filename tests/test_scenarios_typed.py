"""Every `parley eval` scenario, typed instead of spoken: with perfect hearing each one succeeds, so a
scenario that fails by voice fails on what was heard, not on a script the dialogue cannot follow."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime

import pytest

from parley.dialogue.types import Transport
from parley.memory.db import open_db
from parley.voice.app.measure.eval import booked_rows, load_scenarios
from parley.voice.app.wiring import open_brain

SCENARIOS = load_scenarios(None)


def test_there_are_at_least_40_scenarios():
    assert len(SCENARIOS) >= 40


async def typed_call(config, db, lines: list[str], now: datetime) -> list[str]:
    async with open_brain(config, db, Transport.CHAT, clock=lambda: now) as brain:
        replies = []
        for line in lines:
            reply = "".join([part async for part in brain.reply(line)]).strip()
            brain.reply_heard(reply, reply)
            replies.append(reply)
        return replies


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_a_scenario_typed_succeeds(scenario, config, tmp_path):
    db, now = tmp_path / "parley.db", datetime.fromisoformat(scenario["now"])
    later: list[str] = []
    for number, call in enumerate(scenario["calls"]):
        replies = asyncio.run(typed_call(config, db, [line[0] for line in call], now))
        for (line, expected, *_), reply in zip(call, replies):
            assert re.search(expected, reply, re.IGNORECASE), f"caller: {line!r}\nparley: {reply!r}\nwanted: {expected!r}"
        later += replies if number else []
    for pattern in scenario.get("recall", []):
        assert any(re.search(pattern, reply, re.IGNORECASE) for reply in later), pattern
    booked = booked_rows(db)
    assert len(booked) == len(scenario.get("bookings", [])), booked
    for want, got in zip(scenario.get("bookings", []), booked):
        assert {key: got[key] for key in want} == want, got
    open_db(db).close()
