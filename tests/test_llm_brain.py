"""The LLM brain against a scripted OpenAI-compatible server on loopback: plumbing, guards, fallback."""

import asyncio
import json
from datetime import datetime

import pytest
from openai import AsyncOpenAI

from parley.dialogue.domain import load_domain
from parley.dialogue.llm_brain import LlmBrain, merge, parse_reading
from parley.dialogue.nlu import understand
from parley.dialogue.reservation_brain import ReservationBrain
from parley.memory.db import open_db
from parley.memory.reservations import ReservationStore
from tests.openai_stub import StubServer, text, tool_call

NOW = datetime(2026, 11, 28, 12, 0)  # a Saturday


@pytest.fixture
def stub():
    server = StubServer()
    yield server
    server.close()


def reservation(path) -> ReservationBrain:
    domain = load_domain()
    return ReservationBrain(domain, ReservationStore(open_db(path), domain.tables_per_slot), clock=lambda: NOW)


def llm(tmp_path, url: str, deadline: float = 5.0) -> LlmBrain:
    client = AsyncOpenAI(base_url=url, api_key="test", max_retries=0, timeout=deadline)
    return LlmBrain(reservation(tmp_path / "llm.db"), client, "stub", deadline)


async def say(brain, line: str) -> str:
    return "".join([part async for part in brain.reply(line)]).strip()


def embedded(tmp_path, *lines: str) -> str:
    brain = reservation(tmp_path / "embedded.db")
    return [asyncio.run(say(brain, line)) for line in lines][-1]


def test_a_streamed_tool_call_fills_what_the_rules_missed(tmp_path, stub):
    line = "A half dozen of us want dinner on the ninth of December at seven."
    stub.script.answers = [tool_call(json.dumps({"intent": "book", "party_size": 6, "date": "2026-12-09", "time": "19:00"}))]
    brain = llm(tmp_path, stub.url)
    reply = asyncio.run(say(brain, line))
    assert brain.fallbacks == []
    draft = brain.reservation.manager.state.draft
    assert (draft.party_size, str(draft.day), str(draft.at)) == (6, "2026-12-09", "19:00:00")
    assert "name" in reply.lower()
    [request] = stub.script.requests
    assert request["stream"] is True and request["tool_choice"]["function"]["name"] == "interpret"
    assert "Saturday 2026-11-28" in request["messages"][0]["content"]


def test_the_model_cannot_book_what_the_manager_rejects(tmp_path, stub):
    monday = {"intent": "book", "party_size": 2, "date": "2026-11-30", "time": "19:00", "name": "Sam Lee",
              "phone": "5551234"}
    stub.script.answers = [tool_call(json.dumps(monday)), tool_call(json.dumps({"intent": "yes"}))]
    brain = llm(tmp_path, stub.url)
    assert "closed on Mondays" in asyncio.run(say(brain, "Two of us on Monday at seven, Sam Lee, 555 1234."))
    asyncio.run(say(brain, "Yes, book it."))
    assert brain.store.find(phone="5551234") == []


@pytest.mark.parametrize("answer", ["garbage", "drop", "stall"])
def test_a_broken_answer_falls_back_to_the_embedded_reply_within_the_turn(tmp_path, stub, answer):
    stub.script.answers = [answer]
    brain = llm(tmp_path, stub.url, deadline=1.0)
    line = "I'd like a table for four on Friday at eight."
    assert asyncio.run(say(brain, line)) == embedded(tmp_path, line)
    [reason] = brain.fallbacks
    assert {"stall": "Timeout", "drop": "not JSON", "garbage": "Error"}[answer] in reason


def test_a_dead_endpoint_falls_back(tmp_path):
    brain = llm(tmp_path, "http://127.0.0.1:9/v1")
    assert asyncio.run(say(brain, "What's your address?")) == embedded(tmp_path, "What's your address?")
    assert len(brain.fallbacks) == 1


def test_an_off_subject_question_gets_a_streamed_aside_then_back_to_the_booking(tmp_path, stub):
    stub.script.answers = [tool_call('{"intent": "book", "party_size": 3}'), tool_call('{"intent": "other"}'),
                           text("I hope it stays sunny for you. Enjoy the day!")]
    brain = llm(tmp_path, stub.url)
    asyncio.run(say(brain, "A table for three please."))
    reply = asyncio.run(say(brain, "What's the weather like where you are?"))
    assert reply.startswith("I hope it stays sunny for you. Enjoy the day!")
    assert reply.endswith("?") and "day" in reply.lower()  # back to asking which day
    assert brain.fallbacks == []


def test_an_aside_that_sounds_like_a_booking_is_never_said(tmp_path, stub):
    stub.script.answers = [tool_call('{"intent": "other"}'), text("Sure, your table is booked for eight people.")]
    brain = llm(tmp_path, stub.url)
    reply = asyncio.run(say(brain, "Tell me a joke."))
    assert "booked" not in reply and "only the reservation line" in reply
    assert "not safe" in brain.fallbacks[0]


def test_readings_are_checked_field_by_field():
    today = NOW.date()
    reading = parse_reading('{"intent": "book", "party_size": 0, "date": "2020-01-01", "time": "25:99", '
                            '"name": "Ana", "phone": "12", "notes": ["peanut allergy", 3]}', today)
    assert (reading.party_size, reading.day, reading.at, reading.phone) == (None, None, None, None)
    assert reading.notes == ["peanut allergy"]
    with pytest.raises(ValueError):
        parse_reading('{"intent": "sing"}', today)


def test_the_rules_win_and_a_name_the_caller_never_said_is_ignored():
    line = "A table for two, my name is Ana."
    reading = parse_reading('{"intent": "book", "party_size": 5, "name": "Bob Smith"}', NOW.date())
    meaning = merge(understand(line, NOW.date()), reading, line)
    assert meaning.party_size == 2 and meaning.name == "Ana"
    meaning = merge(understand("A handful of us.", NOW.date()), reading, "A handful of us.")
    assert meaning.name is None and meaning.party_size == 5
    meaning = merge(understand("Hmm.", NOW.date()), reading, "Hmm.")
    assert meaning.party_size is None  # the caller gave no number at all: the model invented it


def test_notes_and_names_must_have_been_said():
    line = "Me and five friends, one of us has a peanut allergy."
    reading = parse_reading('{"intent": "book", "name": "Me", "notes": ["peanut allergy", ".com.au/en-ca", "vegan"]}',
                            NOW.date())
    meaning = merge(understand(line, NOW.date()), reading, line)
    assert meaning.name is None and meaning.notes == ["peanut allergy"]
