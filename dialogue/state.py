"""A call's whole dialogue state, one value: what was asked, the task, the details so far, who is calling."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum

from parley.dialogue.identity import Identity
from parley.dialogue.moves import Move
from parley.dialogue.nlu import Clock, Understanding
from parley.dialogue.types import Booking

SLOTS = ("party_size", "day", "at", "name", "phone")


class Expecting(StrEnum):
    """What the manager asked last, so that the next answer is read as the answer to it."""

    PARTY_SIZE = "party_size"
    DAY = "day"
    AT = "at"
    NAME = "name"
    PHONE = "phone"
    CONFIRM = "confirm"
    CORRECTION = "correction"
    PHONE_LOOKUP = "phone_lookup"
    CHANGE_WHAT = "change_what"
    ANYTHING_ELSE = "anything_else"
    IDENTITY = "identity"  # "have you booked with us before?"
    IDENTIFY = "identify"  # the number they book with, before telling them anything
    CONFIRM_FORGET = "confirm_forget"
    VERIFY = "verify"  # a second detail, before a claimed identity hears its memory or a booking


class Task(StrEnum):
    """What the caller came to do."""

    BOOK = "book"
    CHANGE = "change"
    CANCEL = "cancel"
    CHECK = "check"


@dataclass
class Draft:
    party_size: int | None = None
    day: date | None = None
    at: time | None = None
    clock: Clock | None = None  # a time said before the day was known
    name: str | None = None
    phone: str | None = None
    notes: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # for the staff: a detail booked without being heard

    def missing(self) -> str | None:
        return next((slot for slot in SLOTS if getattr(self, slot) is None), None)

    def booking(self, booking_id: int | None = None) -> Booking:
        size, day, at, name, phone = self.party_size, self.day, self.at, self.name, self.phone
        assert size is not None and day and at and name and phone is not None, "a booking is made once every slot is filled"
        return Booking(size, day, at, name, phone, tuple(self.notes), booking_id, "; ".join(self.flags))

    @classmethod
    def of(cls, booking: Booking) -> Draft:
        return cls(booking.party_size, booking.day, booking.at, None, booking.name, booking.phone, list(booking.notes))


@dataclass
class CallState:
    """Everything the dialogue knows of one call. A copy taken before a turn, put back, undoes the turn."""

    identity: Identity
    task: Task | None = None
    draft: Draft = field(default_factory=Draft)
    expecting: Expecting | None = None
    existing: Booking | None = None  # the booking being changed, cancelled or checked
    misunderstood: int = 0
    offered: list[time] = field(default_factory=list)  # the times just offered, so "yes" or "the later one" picks one
    spelling: str | None = None  # the name in doubt while the caller spells it
    name_doubted: bool = False  # asked once a call to spell a doubtful name
    name_by_sound: bool = False  # the name heard was taken for a known one it sounds like: read back spelled
    name_heard: str | None = None  # the first answer to "what name?" that was no name, for the staff
    failed_lookups: int = 0
    given_up: int = 0  # bookings stopped for a detail never heard, this call
    read_again: int = 0  # read-backs asked for by saying a detail again unchanged, since the last change
    asked: tuple[str | None, int] = (None, 0)  # the detail asked for, and how many times in a row
    requested: tuple[str, int] = ("", 0)  # the last request made (a reply's last sentence), and how many times in a row
    suggested: int | None = None  # the party size offered from memory ("four again?")
    heard: Understanding | None = None  # the last utterance, as understood
    last_said: str = ""
    topic: str | None = None  # what this reply is about, when a question can follow on ("hours")
    follows_on: str | None = None  # the last reply's topic
    turn: int = 0
    now: datetime = datetime.min  # the time of the event being handled
    preface: list[str] = field(default_factory=list)  # said before the next reply ("Welcome back, Sam.")
    noticed: list[Move] = field(default_factory=list)  # actions this turn owes besides what it says

    def snapshot(self) -> CallState:
        return copy.deepcopy(self)

    def end_task(self) -> None:
        """The task is over (done, abandoned, or refused): its details go; who is calling stays."""
        self.task, self.draft, self.expecting, self.existing = None, Draft(), None, None
        self.suggested, self.offered, self.asked = None, [], (None, 0)
        self.spelling, self.failed_lookups, self.name_heard, self.read_again = None, 0, None, 0
        self.identity.second = None
