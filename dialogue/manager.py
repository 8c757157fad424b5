"""The reservation dialogue without I/O: events and the current time in, actions out, through one door.

Every transition is found here, in two tables: `handle` reads an event by its type (an event with no
entry raises), and the caller's words are read as the answer to what was asked last (`ANSWERS`, by
`Expecting`) once the questions that can come at any time have had their turn. The concerns the
answers call on live beside this file: slots.py (a booking's details), lookups.py (a booking found),
recognition.py (who is calling and what they may hear), repair.py (asking again)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from parley.dialogue import phrases
from parley.dialogue.domain import Domain
from parley.dialogue.identity import Identity
from parley.dialogue.lookups import Lookups
from parley.dialogue.moves import (
    AsideAnswered,
    CommitFailed,
    Committed,
    DialogueEvent,
    EndCall,
    Forgotten,
    Move,
    Say,
    UserSaid,
)
from parley.dialogue.name_lexicon import spelled_like
from parley.dialogue.nlu import TASK_INTENTS, Understanding, spelled_name, understand
from parley.dialogue.recognition import Recognition, first_name
from parley.dialogue.repair import Repair
from parley.dialogue.slots import SlotFilling, corrected_name
from parley.dialogue.state import SLOTS, CallState, Expecting, Task
from parley.dialogue.turn_end import Expect, Listening
from parley.dialogue.types import Calendar, Caller, Directory

Answer = Callable[["DialogueManager", Understanding], "list[Move] | None"]

LISTENING = {
    Expecting.CONFIRM: Expect.YES_NO, Expecting.IDENTITY: Expect.YES_NO, Expecting.CONFIRM_FORGET: Expect.YES_NO,
    Expecting.ANYTHING_ELSE: Expect.YES_NO, Expecting.PHONE: Expect.DIGITS, Expecting.PHONE_LOOKUP: Expect.DIGITS,
    Expecting.IDENTIFY: Expect.DIGITS, Expecting.NAME: Expect.NAME,
}


HOTWORD_NAMES = 40  # regulars' names read from memory
HOTWORD_CHARACTERS = 300  # about 80 tokens: the prompt and these share Whisper's 224


def _gives_details(u: Understanding) -> bool:
    return bool(u.details()) or u.phone_part is not None


class DialogueManager:
    """One call to the reservation line. `handle` is the only way in; `state` the whole of what it knows."""

    def __init__(self, domain: Domain, calendar: Calendar, directory: Directory | None = None,
                 caller: Caller | None = None, phone_line: bool = False, spoken: bool = False):
        self.domain = domain
        self.calendar = calendar
        self.directory = directory
        self.phone_line = phone_line  # a telephone: it has a keypad, and a call can be put through
        self.spoken = spoken  # the caller's words come through speech-to-text, so a name may be misheard
        self.state = CallState(Identity(caller=caller, trusted=caller is not None))
        self.slots, self.lookups = SlotFilling(self), Lookups(self)
        self.recognition, self.repair = Recognition(self), Repair(self)
        self.prompt = phrases.what_callers_say(domain)  # each restaurant primes with its own name
        self._regulars: list[str] | None = None  # read from memory once a call, when a name is first awaited

    def handle(self, event: DialogueEvent, now: datetime) -> list[Move]:
        self.state.now = now
        return EVENTS[type(event)](self, event)

    def restore(self, snapshot: CallState) -> None:
        """Put back the state of `self.state.snapshot()`: the turns since are as if never heard."""
        self.state = snapshot.snapshot()

    def greeting(self) -> str:
        caller = self.state.identity.caller
        first = first_name(caller.name) if caller else None
        if first:
            return f"Hello {first}, welcome back to {self.domain.name}. How can I help you?"
        return phrases.greeting(self.domain)

    def listening(self) -> Listening:
        state = self.state
        second = state.identity.second
        if state.expecting == Expecting.VERIFY and second:
            return Listening(Expect.DIGITS if second.kind == "phone" else Expect.NAME, None)
        caller = state.identity.caller
        expect = LISTENING.get(state.expecting) if state.expecting else None
        names = self._names_to_listen_for() if expect == Expect.NAME or state.turn == 0 else []
        return Listening(expect, caller.pause_ms if caller else None, self.prompt, ", ".join(names))

    def known_names(self) -> list[str]:
        """This caller's name if memory has it, then the restaurant's regulars' (most calls first)."""
        if self._regulars is None:
            self._regulars = self.directory.known_names(HOTWORD_NAMES) if self.directory else []
        identity = self.state.identity
        own = [who.name for who in (identity.caller, identity.candidate) if who and who.name]
        return list(dict.fromkeys(own + self._regulars))

    def _names_to_listen_for(self) -> list[str]:
        """The names known, within Whisper's prompt budget."""
        names = self.known_names()
        while len(", ".join(names)) > HOTWORD_CHARACTERS:
            names.pop()
        return names

    def asked_as(self) -> str | None:
        """What the last question asked for, as the understanding reads answers (a second detail is a name or a number)."""
        second = self.state.identity.second
        return second.kind if self.state.expecting == Expecting.VERIFY and second else self.state.expecting

    def say(self, *sentences: str) -> list[Move]:
        """The reply, after what the turn owes first ("Welcome back, Sam.")."""
        preface, self.state.preface = self.state.preface, []
        text = self.repair.never_thrice(" ".join(s for s in (*preface, *sentences) if s))
        self.state.last_said = text
        return [Say(text)]

    # --- events ---------------------------------------------------------------------------

    def _said(self, event: UserSaid) -> list[Move]:
        state = self.state
        state.turn += 1
        u = event.meaning or understand(event.text, state.now.date(), self.asked_as(), self.domain.date_order)
        state.heard = u
        state.follows_on, state.topic = state.topic, None
        self.recognition.recognize(u)
        actions = self._understood(u)
        noticed, state.noticed = state.noticed, []
        return noticed + actions

    def _commit_failed(self, _: CommitFailed) -> list[Move]:
        self.state.turn += 1
        self.state.draft.at = None
        return self.say("I'm sorry, that table was just taken.", self.slots.offer_times())

    def _committed(self, event: Committed) -> list[Move]:
        """The store made `booking`; tell the caller and move on."""
        done = phrases.cancelled if self.state.task == Task.CANCEL else phrases.booked
        text = done(event.booking, self.state.now.date())
        self.state.end_task()
        self.state.expecting = Expecting.ANYTHING_ELSE
        return self.say(text, "Is there anything else I can do for you?")

    def _forgotten(self, _: Forgotten) -> list[Move]:
        self.state.identity.caller = self.state.identity.candidate = None
        self.state.end_task()
        self.state.expecting = Expecting.ANYTHING_ELSE
        return self.say("Done. I've forgotten everything about you.", "Is there anything else I can do for you?")

    def _aside_answered(self, event: AsideAnswered) -> list[Move]:
        """After an answer off the subject: back to the question in hand (what the caller heard is both)."""
        back = self.repair.question() or "Can I help you with a table?"
        self.state.last_said = f"{event.answer} {back}"
        return [Say(back)]

    # --- the caller's words ---------------------------------------------------------------

    def _understood(self, u: Understanding) -> list[Move]:
        first, then = ANSWERS.get(self.state.expecting, (None, None))
        for answer in (DialogueManager._global, first, DialogueManager._task_switch, then or DialogueManager._slot):
            actions = answer(self, u) if answer else None
            if actions is not None:
                self.state.misunderstood = 0
                return actions
        return self.repair.misunderstanding()

    def _global(self, u: Understanding) -> list[Move] | None:
        """Questions that can come at any point, and leave the task where it was."""
        state, intents = self.state, u.intents
        for request in ("forget", "recall", "remember"):
            if request in intents:
                return self.recognition.memory_request(request, u)
        if "repeat" in intents:
            return self.say(state.last_said or phrases.greeting(self.domain))
        if "staff" in intents:
            return self.repair.hand_over()
        if "goodbye" in intents and state.expecting != Expecting.CONFIRM:
            return [*self.say(phrases.goodbye()), EndCall()]
        return self._asked_about(u) or self._small_talk(u)

    def _asked_about(self, u: Understanding) -> list[Move] | None:
        """The restaurant's hours, its address, what Parley can do; or something it cannot answer."""
        state, intents, resume = self.state, u.intents, self.repair.question()
        asks_only_a_day = u.act == "ask" and u.day and not (u.party_size or u.clock or set(intents) & TASK_INTENTS)
        if "hours" in intents and "book" not in intents or asks_only_a_day and state.follows_on == "hours":
            state.topic = "hours"  # "And what about Tuesday?" asks the hours again
            return self.say(phrases.hours(self.domain, u.day), resume)
        if asks_only_a_day and state.task is None:
            return self.say(phrases.OUT_OF_DOMAIN, "How can I help?")  # "What's the weather like today?"
        if "address" in intents:
            return self.say(f"We're at {self.domain.address}.", resume)
        if "help" in intents:
            return self.say(phrases.HELP, resume)
        if intents == ["other"]:
            return self.say(phrases.OUT_OF_DOMAIN, resume or "How can I help?")
        return None

    def _small_talk(self, u: Understanding) -> list[Move] | None:
        state, intents = self.state, u.intents
        if state.expecting == Expecting.ANYTHING_ELSE and "no" in intents:
            return [*self.say(phrases.goodbye()), EndCall()]
        if intents in (["thanks"], ["greeting"], ["thanks", "greeting"]) and state.task is None and not u.details():
            if "greeting" in intents:
                return self.say("How can I help you today?" if state.preface else phrases.greeting(self.domain))
            return self.say("You're welcome. Anything else?")
        return None

    def _task_switch(self, u: Understanding) -> list[Move] | None:
        state = self.state
        for task in (Task.CANCEL, Task.CHANGE, Task.CHECK, Task.BOOK):
            if task in u.intents and task != state.task and not (task == Task.CHANGE and state.task == Task.BOOK):
                state.end_task()
                if task == Task.BOOK:
                    return self.slots.start(task, u)
                caller = state.identity.caller
                return self.lookups.start(task, u.phone or (caller.phone if caller else None))
        return None

    # --- answers, by what was asked ------------------------------------------------------

    def _confirmation(self, u: Understanding) -> list[Move] | None:
        """Yes or no, or a change, to the booking read back."""
        if self.slots.apply(u):
            return self.slots.next()
        if "yes" in u.intents:
            return self.slots.go_ahead()
        if "no" in u.intents and not _gives_details(u):
            self.state.expecting, self.state.read_again = Expecting.CORRECTION, 0
            return self.say("No problem. What should I change?")
        return self._unchanged(u)

    def _correction(self, u: Understanding) -> list[Move] | None:
        """What to change, in a booking found or read back."""
        if self.slots.apply(u):
            return self.slots.next()
        return self._unchanged(u)

    def _unchanged(self, u: Understanding) -> list[Move] | None:
        """A detail said again just as we have it, while the booking is read back: a name the caller
        says is wrong is one we keep mishearing, so it is spelled; anything else, read back again."""
        disputed = u.act == "correct" or self.state.expecting == Expecting.CORRECTION
        if u.name and disputed and corrected_name(self.state.draft.name, u.name) == self.state.draft.name:
            return self.slots.ask_spelling()
        if _gives_details(u) or u.act == "affirm" and self.state.expecting == Expecting.CORRECTION:
            self.state.read_again += 1  # a third time, nothing new: it is not understood (and that ends)
            return self.slots.next() if self.state.read_again <= 2 else None
        return None

    def _lookup_answer(self, u: Understanding) -> list[Move] | None:
        return self.lookups.look_up(u.phone, u.name) if u.phone or u.name else None

    def _name_answer(self, u: Understanding) -> list[Move] | None:
        """The name asked for; or, asked to spell it, the name as spelled, else the one we had, read back."""
        state = self.state
        if state.spelling is None:
            return self._slot(u)
        doubted, state.spelling = state.spelling, None
        letters = spelled_name(u.text)
        state.draft.name = corrected_name(doubted, letters, alike=0.0) if letters else doubted
        if not letters:
            # In doubt, and the spelling did not come through: booked as we have it, for the staff to check.
            self.repair.name_unclear(f"{phrases.NAME_UNCLEAR}: spelling not heard, check {doubted!r}")
        elif not spelled_like(letters, doubted):  # letters misheard as often as the name was
            self.repair.name_unclear(f"{phrases.NAME_UNCLEAR}: spelled {letters!r}, heard {doubted!r}")
        self.slots.apply(replace(u, name=None))  # a number or a time said with it still counts; the name is done
        return self.slots.next()

    def _party_size_answer(self, u: Understanding) -> list[Move] | None:
        state = self.state
        if state.task is not None and state.suggested and "no" in u.intents and not u.bare_number:
            state.suggested = None
            return self.say("No problem.", phrases.ask("party_size", 0, state.draft))
        return self._slot(u)

    def _time_answer(self, u: Understanding) -> list[Move] | None:
        state = self.state
        if state.task is not None and state.offered and not u.clock and (picked := self.slots.picked(u)):
            state.draft.at = picked
            return self.slots.next()
        if state.task is not None and len(state.offered) > 1 and not u.clock and u.act == "affirm":
            return self.say(f"Which would you like: {phrases.either(state.offered)}?")
        return self._slot(u)

    def _slot(self, u: Understanding) -> list[Move] | None:
        """Any detail of a booking, whatever was asked; the first one starts a booking."""
        state = self.state
        if state.task is None:
            return self.slots.start(Task.BOOK, u) if u.party_size or u.day or u.clock else None
        if self.slots.apply(u):
            return self.slots.next()
        if u.act == "affirm" and state.expecting in SLOTS:
            return self.repair.ask_again("Good.")  # "Yes, 8 is fine" to "Can I take a name?"
        return None


# Rule 1 of h11: every transition in one place. An event with no entry here raises KeyError.
EVENTS: dict[type, Callable[[DialogueManager, Any], list[Move]]] = {
    UserSaid: DialogueManager._said,
    CommitFailed: DialogueManager._commit_failed,
    Committed: DialogueManager._committed,
    Forgotten: DialogueManager._forgotten,
    AsideAnswered: DialogueManager._aside_answered,
}

# The answer to what was asked last: `first` before a switch to another task ("cancel it" to "shall I go
# ahead?" is a no), `then` after it (None: any detail of a booking). Each returns None when the words are not an
# answer to it, and the next reading has its turn; when none reads them, Repair asks again.
ANSWERS: dict[Expecting | None, tuple[Answer | None, Answer | None]] = {
    Expecting.VERIFY: (lambda m, u: m.recognition.second_given(u), None),
    Expecting.IDENTIFY: (lambda m, u: m.recognition.identified(u), None),
    Expecting.IDENTITY: (lambda m, u: m.recognition.is_it_you(u), None),
    Expecting.CONFIRM_FORGET: (lambda m, u: m.recognition.forget_confirmed(u), None),
    Expecting.CONFIRM: (DialogueManager._confirmation, None),
    Expecting.PHONE_LOOKUP: (None, DialogueManager._lookup_answer),
    Expecting.CHANGE_WHAT: (None, DialogueManager._correction),
    Expecting.CORRECTION: (None, DialogueManager._correction),
    Expecting.NAME: (None, DialogueManager._name_answer),
    Expecting.PARTY_SIZE: (None, DialogueManager._party_size_answer),
    Expecting.AT: (None, DialogueManager._time_answer),
}
