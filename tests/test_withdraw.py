"""A reply taken back: what a turn does outside the conversation waits until its reply stands, and a
withdrawn turn leaves nothing behind (a real SQLite file, the embedded brain)."""

import asyncio
import dataclasses
from datetime import datetime

import numpy as np
import pytest

from parley.dialogue.types import Transport
from parley.voice.app.measure.caller import ScriptedCaller
from parley.voice.app.wiring import build_brain
from parley.voice.audio import AudioFormat
from parley.voice.events import BargeInEvent
from parley.voice.reply import Engines
from parley.voice.session import Session
from parley.voice.streams import PacedSpeaker

from .fakes import ScriptedBrain, ToneTTS

NOW = datetime(2026, 12, 7, 12, 0)
DETAILS = ["A table for four on Friday at seven please.", "Ana Lopez.", "555 123 4567."]


async def say(brain, text: str) -> str:
    return "".join([part async for part in brain.reply(text)]).strip()


async def booked_so_far(brain, lines=DETAILS):
    for line in lines:
        await say(brain, line)


def bookings(brain):
    return brain.store.find(phone="5551234567", today=NOW.date())


def caller_turns(db):
    from parley.memory.db import open_db
    return [text for (text,) in open_db(db).execute("select text from turns where role = 'user' order by id")]


@pytest.fixture
def brain(tmp_path, config):
    return build_brain(config, tmp_path / "memory.db", Transport.PHONE, clock=lambda: NOW)


def test_a_booking_waits_for_its_reply_to_stand(brain):
    async def call():
        await booked_so_far(brain)
        reply = await say(brain, "Yes.")
        before = bookings(brain)
        brain.settle()
        await brain.close()
        return reply, before

    reply, before = asyncio.run(call())
    assert "booked" in reply.lower() and before == []
    [made] = bookings(brain)
    assert (made.party_size, made.at.hour) == (4, 19) and brain.made == [made]


def test_yes_then_make_it_eight_books_eight_and_only_eight(brain, tmp_path):
    """"Yes." answered, then "Actually, make it eight" said over the reply: the first answer is taken back."""
    async def call():
        await booked_so_far(brain)
        await say(brain, "Yes.")
        assert brain.withdraw()
        reply = await say(brain, "Yes. Actually, make it eight.")
        await say(brain, "Yes.")
        await brain.close()
        return reply

    reply = asyncio.run(call())
    assert "8 people" in reply
    [made] = bookings(brain)
    assert made.party_size == 8
    said = caller_turns(tmp_path / "memory.db")
    assert said.count("Yes.") == 1 and "Yes. Actually, make it eight." in said  # one caller turn: the whole


def test_a_withdrawn_goodbye_does_not_end_the_call(brain):
    async def call():
        await say(brain, "Goodbye.")
        ended = brain.ended
        brain.withdraw()
        return ended, brain.ended, await say(brain, "A table for two tonight, please.")

    ended, after, reply = asyncio.run(call())
    assert (ended, after) == (True, False)
    assert "?" in reply and not brain.ended


def test_a_withdrawn_cancellation_leaves_the_booking(brain):
    async def call():
        await booked_so_far(brain)
        await say(brain, "Yes.")
        brain.settle()
        for line in ["I'd like to cancel my booking.", "555 123 4567."]:
            await say(brain, line)
        await say(brain, "Yes.")
        brain.withdraw()
        await brain.close()

    asyncio.run(call())
    [kept] = bookings(brain)
    assert kept.party_size == 4


def test_a_withdrawn_forget_forgets_nothing(tmp_path, config):
    db = tmp_path / "memory.db"

    async def call(lines, withdraw_last):
        brain = build_brain(config, db, Transport.PHONE, ("client", "ana-phone"), clock=lambda: NOW)
        for line in lines:
            await say(brain, line)
        if withdraw_last:
            brain.withdraw()
        await brain.close()
        return brain

    asyncio.run(call([*DETAILS, "Yes."], False))
    asyncio.run(call(["Please forget everything about me.", "Yes."], True))
    again = asyncio.run(call([], False))
    assert again.manager.state.identity.caller is not None  # still remembered


def test_typed_chat_never_holds(tmp_path, config):
    brain = build_brain(config, tmp_path / "memory.db", Transport.CHAT, clock=lambda: NOW)

    async def call():
        await booked_so_far(brain)
        await say(brain, "Yes.")
        return bookings(brain)

    assert len(asyncio.run(call())) == 1


GAP_S = 1.2  # the caller pauses after "tomorrow", long enough to be answered


def test_a_caller_who_goes_on_over_the_first_words_of_a_reply_is_answered_whole(config, engines, speak):
    """Real Whisper: "A table for two tomorrow," then a pause Parley answers into, then "at seven,
    please." over that answer. The answer is taken back and the whole turn answered once."""
    line = np.concatenate([speak("I would like a table for two tomorrow."), np.zeros(int(GAP_S * 16000), np.int16),
                           speak("At seven, please. Under the name of Ana.")])
    roomy = dataclasses.replace(config.pipeline, session=dataclasses.replace(config.session, withdraw_ms=3000))

    async def scenario():
        speaker = PacedSpeaker(AudioFormat(16000), 2.0)
        caller = ScriptedCaller([line], speaker, pause=0.3)
        brain, events = ScriptedBrain(["And at what time would you like it?", "Seven it is."], can_withdraw=True), []
        # A reply of 2 s at the speaker's 2x speed: still playing when the caller goes on, however
        # late a loaded machine answered (a shorter one could play out first, and then stand).
        session = Session(roomy, Engines(engines.stt, ToneTTS(seconds_per_word=0.5)), brain, caller, speaker, events.append)
        await session.run()
        return session, brain, events

    session, brain, events = asyncio.run(scenario())
    # On a loaded machine the first part may still be in speech-to-text when the caller goes on (then
    # nothing was answered early); either way the whole turn is answered once, and an early answer is taken back.
    assert len(brain.heard) == 1, (brain.heard, brain.withdrawn, [type(e).__name__ for e in events])
    [whole] = brain.heard
    assert "tomorrow" in whole.lower() and "seven" in whole.lower() and "name of" in whole.lower()
    assert [turn.text for turn in session.history if turn.role == "user"] == [whole]
    taken_back = [e for e in events if isinstance(e, BargeInEvent)]
    assert len(brain.withdrawn) == len(taken_back) <= 1 and all(e.withdrawn for e in taken_back)
    assert all("seven" not in first.lower() for first in brain.withdrawn)
