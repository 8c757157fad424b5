"""Filling a booking's details and checking them against the restaurant: what to ask next, or what is wrong."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

from parley.dialogue import booking_rules, phrases
from parley.dialogue.moves import Cancel, Commit, Move
from parley.dialogue.name_lexicon import judge
from parley.dialogue.nlu import Clock, Understanding, plausible_phone
from parley.dialogue.repair import RUNGS
from parley.dialogue.state import Expecting, Task

if TYPE_CHECKING:
    from parley.dialogue.manager import DialogueManager


def corrected_name(old: str | None, new: str, alike: float = 0.6) -> str:
    """One word that sounds like one of the old name's words corrects only that word ("Lopez" after
    "Ana Lopes" is Ana Lopez); anything else is a new name. `alike` 0: the word replaces the most
    alike one whatever (a word spelled out when the name was in doubt)."""
    words = (old or "").split()
    if len(new.split()) != 1 or len(words) < 2:
        return new
    likeness = [SequenceMatcher(None, word.lower(), new.lower()).ratio() for word in words]
    best = max(range(len(words)), key=likeness.__getitem__)
    if likeness[best] < alike:
        return new
    return " ".join(new if i == best else word for i, word in enumerate(words))


def _about_a_number(u: Understanding, expecting: Expecting | None) -> bool:
    """The caller is giving a phone number: one was asked for, or they say so."""
    asked = expecting in (Expecting.PHONE, Expecting.PHONE_LOOKUP, Expecting.IDENTIFY, Expecting.CONFIRM, Expecting.CORRECTION)
    return asked or bool(re.search(r"\b(number|phone|mobile|cell)\b", u.text, re.IGNORECASE))


def _with_part(phone: str, which: str, digits: str) -> str:
    """A phone number with its first or last digits replaced by those the caller corrected."""
    if len(digits) >= len(phone):
        return digits
    return digits + phone[len(digits) :] if which == "first" else phone[: -len(digits)] + digits


class SlotFilling:
    """The details of the booking in hand: taken from what was said, checked, and asked for."""

    def __init__(self, manager: DialogueManager):
        self.m = manager

    def apply(self, u: Understanding) -> bool:
        """Take every detail the utterance gives (corrections included); True if any was new."""
        state = self.m.state
        draft, before, expecting = state.draft, replace(state.draft, notes=list(state.draft.notes)), state.expecting
        if u.party_size:
            draft.party_size = u.party_size
        elif u.bare_number and expecting in (Expecting.CONFIRM, Expecting.CORRECTION, Expecting.CHANGE_WHAT):
            draft.party_size = u.bare_number
        elif expecting == Expecting.PARTY_SIZE and state.suggested and "yes" in u.intents:
            draft.party_size = state.suggested
        if u.day:
            draft.day = u.day
            if draft.at and not u.clock:
                draft.clock, draft.at = Clock(draft.at.hour, draft.at.minute, "pm" if draft.at.hour >= 12 else "am"), None
        if u.clock:
            draft.clock, draft.at = u.clock, None
        if u.name:
            draft.name = corrected_name(draft.name, u.name)
        if u.phone and (plausible_phone(u.phone) or _about_a_number(u, expecting)):
            draft.phone = u.phone  # digits of no phone's length, while a day was asked ("30, 30, 30"), are no number
            gone = (phrases.NO_NUMBER, phrases.NUMBER_UNCLEAR) if plausible_phone(u.phone) else (phrases.NO_NUMBER,)
            draft.flags = [flag for flag in draft.flags if not flag.startswith(gone)]  # a number now heard
        elif u.phone_part and draft.phone:
            draft.phone = _with_part(draft.phone, *u.phone_part)
        draft.notes += [note for note in u.notes if note not in draft.notes]
        if draft.clock and draft.day:
            draft.at, draft.clock = self._resolve(draft.clock, draft.day), None
        if draft != before:
            state.read_again = 0
        return draft != before

    def _resolve(self, clock: Clock, day: date) -> time:
        """The clock time the caller most likely meant: said am/pm, else the one we are open at."""
        hour = clock.hour % 12 if clock.meridiem else clock.hour
        if clock.meridiem == "pm":
            return time(hour + 12 if hour < 12 else hour, clock.minute)
        if clock.meridiem == "am" or hour >= 12:
            return time(hour, clock.minute)
        seatings = self.m.domain.seating_times(day)
        later = time(hour + 12, clock.minute)
        if later in seatings or time(hour, clock.minute) not in seatings:
            return later
        return time(hour, clock.minute)

    def next(self) -> list[Move]:
        """Check what we have, then ask for the next missing detail, or confirm."""
        problem = self._problem()
        if problem:
            return problem
        state, identity = self.m.state, self.m.state.identity
        slot = state.draft.missing()
        if slot == "at" and state.draft.clock is None and state.draft.day is None:
            slot = "day"
        if slot == "party_size" and identity.trusted and identity.caller and identity.caller.usual_party_size:
            state.suggested = identity.caller.usual_party_size
            state.expecting = Expecting(slot)
            return self.m.say(f"A table for {state.suggested} again, like last time?")
        if slot == "phone" and self.m.recognition.known_by_name() and (candidate := identity.candidate) and candidate.phone:
            state.expecting = Expecting.IDENTITY
            return self.m.say(f"Are you the {candidate.name} who has booked with us before?")
        if slot:
            state.expecting = Expecting(slot)
            return self.m.repair.ask_again()
        state.expecting = Expecting.CONFIRM
        return self.m.say(phrases.confirm(state.task, state.draft.booking(), state.now.date(), state.name_by_sound))

    def ask_spelling(self) -> list[Move]:
        state = self.m.state
        state.spelling, state.draft.name, state.expecting = state.draft.name, None, Expecting.NAME
        return self.m.say(f"I have the name as {state.spelling}.", "Could you spell it for me, letter by letter?")

    def _problem(self) -> list[Move] | None:
        state, domain = self.m.state, self.m.domain
        draft = state.draft
        if draft.name and state.spelling is None and not state.name_doubted and self._name_in_doubt(draft.name):
            return self.ask_spelling()
        if draft.phone and not plausible_phone(draft.phone) and not self._number_flagged():
            return self._odd_number(draft.phone)
        if draft.party_size is not None and not 1 <= draft.party_size <= domain.seats_per_table:
            draft.party_size = None
            state.expecting = Expecting.PARTY_SIZE
            return self.m.say(f"Our largest table seats {domain.seats_per_table}.", "How many people will it be?")
        if draft.day is not None:
            reason = booking_rules.day_problem(domain, draft.day, state.now.date())
            if reason:
                draft.day = None
                state.expecting = Expecting.DAY
                return self.m.say(reason, "Which other day would suit you?")
        if draft.day is not None and draft.at is not None:
            return self._time_problem(draft.day, draft.at)
        return None

    def _name_in_doubt(self, name: str) -> bool:
        """A name heard, judged until it was doubted once (a call's one doubt): taken for a name the
        restaurant knows that it sounds like (and read back spelled), or to be spelled if it is words
        or no name on record."""
        state = self.m.state
        verdict, known = judge(name, self.m.known_names(), self.m.spoken)
        if verdict == "sounds like" and known:
            state.draft.name, state.name_by_sound = known, True
        state.name_doubted = verdict in ("sounds like", "doubtful")
        return verdict == "doubtful"

    def _odd_number(self, heard: str) -> list[Move]:
        """A number of no phone's length: a digit misheard or lost. Asked again digit by digit, on the
        number's ladder; at its end booked as heard, flagged for the staff to check."""
        state = self.m.state
        last, times = state.asked
        times = times + 1 if last == "phone" else 1
        if times > RUNGS:
            state.asked = (None, 0)
            state.draft.flags.append(f"{phrases.NUMBER_UNCLEAR}: heard as {heard}, {len(heard)} digits")
            return self.next()
        state.draft.phone, state.expecting, state.asked = None, Expecting.PHONE, ("phone", times)
        return self.m.say(f"I heard {' '.join(heard)}, which is {len(heard)} digits.",
                          "Could you say the number again, one digit at a time?")

    def _number_flagged(self) -> bool:
        return any(flag.startswith(phrases.NUMBER_UNCLEAR) for flag in self.m.state.draft.flags)

    def _time_problem(self, day: date, at: time) -> list[Move] | None:
        state = self.m.state
        seatings = self.m.domain.seating_times(day)
        if at not in seatings:
            why = booking_rules.why_not(self.m.domain, at, day, seatings, state.now.date())
            return self._not_at(why, self.offer_times(near=at))
        if datetime.combine(day, at) <= state.now:
            return self._not_at("That time has already passed.", self.offer_times())
        if self.m.calendar.free_tables(day, at, self._ignoring()) < 1:
            return self._not_at(f"We're fully booked at {phrases.clock(at)}.", self.offer_times(near=at))
        return None

    def _not_at(self, why: str, offer: str) -> list[Move]:
        self.m.state.draft.at = None
        return self.m.say(why, offer)

    def _ignoring(self) -> int | None:
        """The booking being changed, whose own table does not count as taken."""
        existing = self.m.state.existing
        return existing.id if existing else None

    def offer_times(self, near: time | None = None, count: int = 2) -> str:
        state = self.m.state
        day = state.draft.day
        assert day is not None, "times are offered on a known day"
        free = [t for t in self.m.domain.seating_times(day)
                if datetime.combine(day, t) > state.now and self.m.calendar.free_tables(day, t, self._ignoring()) > 0]
        state.expecting = Expecting.AT
        if not free:
            state.draft.day = None
            state.expecting = Expecting.DAY
            return f"There's nothing free on {phrases.day(day, state.now.date())}. Which other day would suit you?"
        if near is not None:
            minutes = lambda t: abs(t.hour * 60 + t.minute - near.hour * 60 - near.minute)  # noqa: E731
            free = sorted(sorted(free, key=minutes)[:count])
        state.offered = free[:count]
        return f"I could offer {phrases.either(state.offered)}. Would that work?"

    def picked(self, u: Understanding) -> time | None:
        """The offered time the caller chose: "yes" to a single offer, or the first or the later one."""
        offered, words = self.m.state.offered, u.text.lower()
        if re.search(r"\b(first|earlier|former|sooner)\b", words):
            return offered[0]
        if re.search(r"\b(second|later|latter|last)\b", words):
            return offered[-1]
        minute = 30 if re.search(r"\bhalf past\b(?! \w*\d)", words) else 0 if re.search(r"\bon the hour\b", words) else None
        on_minute = [at for at in offered if at.minute == minute]
        if len(on_minute) == 1:
            return on_minute[0]  # "half past is fine" to 7 or 7:30
        return offered[0] if u.act == "affirm" and len(offered) == 1 else None

    def prefill(self) -> None:
        """A known caller is not asked again for what we know; their standing notes come along."""
        state = self.m.state
        caller, draft = state.identity.caller, state.draft
        if caller is None:
            return
        draft.name = draft.name or caller.name
        draft.phone = draft.phone or caller.phone
        new = [note for note in caller.notes if note not in draft.notes] if state.identity.trusted else []
        if new:
            draft.notes += new
            state.preface.append(f"I have noted your {' and '.join(new)}.")

    def start(self, task: Task, u: Understanding) -> list[Move]:
        """A booking begun: what we know of the caller, then what they just said."""
        self.m.state.task = task
        self.prefill()
        self.apply(u)
        return self.next()

    def go_ahead(self) -> list[Move]:
        """The caller said yes to the read-back: the booking made, changed or cancelled."""
        state = self.m.state
        if state.task == Task.CANCEL and state.existing:
            return [Cancel(state.existing)]
        return [Commit(state.draft.booking(state.existing.id if state.existing else None))]
