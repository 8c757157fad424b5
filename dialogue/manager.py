"""The reservation dialogue without I/O: events and the current time in, actions out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from difflib import SequenceMatcher
from enum import StrEnum

from parley.dialogue import booking_rules, phrases
from parley.dialogue.disclosure import NOT_MATCHED, SecondDetail, second_for_booking
from parley.dialogue.domain import Domain
from parley.dialogue.nlu import TASK_INTENTS, Clock, Understanding, doubtful_name, plausible_phone, spelled_name, understand
from parley.dialogue.turn_end import Expect, Listening
from parley.dialogue.types import Booking, Calendar, Caller, Directory

SLOTS = ("party_size", "day", "at", "name", "phone")
MAX_MISUNDERSTANDINGS = 3  # then start over with the options; twice that ends the call
MAX_FAILED_LOOKUPS = 2  # then stop asking for the number of a booking we cannot find


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


# Events in.
@dataclass(frozen=True)
class UserSaid:
    text: str
    meaning: Understanding | None = None  # what the LLM made of `text`; None: the embedded rules read it


@dataclass(frozen=True)
class Timeout:
    """The caller said nothing for a while."""


@dataclass(frozen=True)
class CommitFailed:
    """The store could not make the booking (the last table went to someone else)."""


# Actions out.
@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Commit:
    booking: Booking  # a new booking when id is None, else the new details of booking `id`


@dataclass(frozen=True)
class Cancel:
    booking: Booking


@dataclass(frozen=True)
class EndCall:
    hand_over_to: str = ""  # put the call through to a person there instead of hanging up


@dataclass(frozen=True)
class Attention:
    """A person at the restaurant should look at this call, for `reason`."""

    reason: str


@dataclass(frozen=True)
class Recognized:
    """The caller turned out to be someone Parley knows."""

    caller: Caller


@dataclass(frozen=True)
class Forget:
    """The caller asked, and confirmed, that everything about them be deleted."""

    caller: Caller


Action = Say | Commit | Cancel | EndCall | Recognized | Forget | Attention


@dataclass
class Draft:
    party_size: int | None = None
    day: date | None = None
    at: time | None = None
    clock: Clock | None = None  # a time said before the day was known
    name: str | None = None
    phone: str | None = None
    notes: list[str] = field(default_factory=list)

    def missing(self) -> str | None:
        return next((slot for slot in SLOTS if getattr(self, slot) is None), None)

    def booking(self, booking_id: int | None = None) -> Booking:
        size, day, at, name, phone = self.party_size, self.day, self.at, self.name, self.phone
        assert size is not None and day and at and name and phone, "a booking is made only once every slot is filled"
        return Booking(size, day, at, name, phone, tuple(self.notes), booking_id)

    @classmethod
    def of(cls, booking: Booking) -> Draft:
        return cls(booking.party_size, booking.day, booking.at, None, booking.name, booking.phone, list(booking.notes))


def _corrected_name(old: str | None, new: str, alike: float = 0.6) -> str:
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


def _with_part(phone: str, which: str, digits: str) -> str:
    """A phone number with its first or last digits replaced by those the caller corrected."""
    if len(digits) >= len(phone):
        return digits
    return digits + phone[len(digits) :] if which == "first" else phone[: -len(digits)] + digits


def _gives_details(u: Understanding) -> bool:
    return bool(u.details()) or u.phone_part is not None


def _first_name(name: str | None) -> str | None:
    return name.split()[0] if name else None


TOPIC_STOP = {"what", "do", "you", "remember", "know", "about", "me", "my", "i", "the", "a", "did", "tell",
              "have", "on", "is", "it", "that", "can", "please", "anything", "from", "last", "time"}


def _topic(text: str) -> str:
    """The words of a "do you remember ..." question that say what about."""
    return " ".join(w for w in re.findall(r"[a-z']+", text.lower()) if w not in TOPIC_STOP)


class DialogueManager:
    """One call to the reservation line. `handle` is the only entry point."""

    def __init__(self, domain: Domain, calendar: Calendar, directory: Directory | None = None,
                 caller: Caller | None = None, phone_line: bool = False):
        self.domain = domain
        self.phone_line = phone_line  # a telephone: it has a keypad, and a call can be put through
        self.calendar = calendar
        self.directory = directory
        self.caller = caller  # who we are talking to, once known
        self.trusted = caller is not None  # known up front (a client id, --user) or by two matching details
        self.claimed_by: str | None = None  # how an untrusted caller said who they are: "phone" or "name"
        self.second: SecondDetail | None = None  # the detail asked for before going on
        self.candidate: Caller | None = None  # someone known by the name given, not yet confirmed
        self._asked_by_name = False  # asked once per call whether the caller is someone we know
        self.suggested: int | None = None  # the party size offered from memory ("four again?")
        self.pending: str | None = None  # a memory request waiting for the caller to be identified
        self._preface: list[str] = []  # said before this turn's reply ("Welcome back, Sam.")
        self._noticed: list[Action] = []  # actions this turn owes besides what it says
        self.heard: Understanding | None = None  # the last utterance, as understood
        self.task: str | None = None  # book, change, cancel, check
        self.draft = Draft()
        self.expecting: Expecting | None = None
        self.existing: Booking | None = None
        self.misunderstood = 0
        self.offered: list[time] = []  # the times just offered, so "yes" or "the later one" picks one
        self.spelling: str | None = None  # the name in doubt while the caller spells it
        self._name_doubted = False
        self.failed_lookups = 0
        self._asked: tuple[str | None, int] = (None, 0)  # the detail asked for, and how many times in a row
        self.last_said = ""
        self.topic: str | None = None  # what this reply is about, when a question can follow on ("hours")
        self.follows_on: str | None = None  # the last reply's topic
        self.turn = 0
        self.now = datetime.min  # set by every `handle`

    def handle(self, event: UserSaid | Timeout | CommitFailed, now: datetime) -> list[Action]:
        self.turn += 1
        self.now = now
        if isinstance(event, Timeout):
            return self._say(phrases.still_there(self.question()))
        if isinstance(event, CommitFailed):
            self.draft.at = None
            return self._say("I'm sorry, that table was just taken.", self._offer_times())
        u = event.meaning or understand(event.text, now.date(), self._asked_as())
        self.heard = u
        self.follows_on, self.topic = self.topic, None
        self._recognize(u)
        actions = self._understood(u)
        noticed, self._noticed = self._noticed, []
        return noticed + actions

    def forgotten(self) -> list[Action]:
        """Memory has deleted everything about the caller."""
        self.caller = self.candidate = None
        self._reset()
        self.expecting = Expecting.ANYTHING_ELSE
        return self._say("Done. I've forgotten everything about you.", "Is there anything else I can do for you?")

    def _asked_as(self) -> str | None:
        """What the last question asked for, as the understanding reads answers (a second detail is a name or a number)."""
        return self.second.kind if self.expecting == Expecting.VERIFY and self.second else self.expecting

    def listening(self) -> Listening:
        if self.expecting == Expecting.VERIFY and self.second:
            return Listening(Expect.DIGITS if self.second.kind == "phone" else Expect.NAME, None)
        expect: dict[Expecting | None, Expect] = {
            Expecting.CONFIRM: Expect.YES_NO, Expecting.IDENTITY: Expect.YES_NO, Expecting.CONFIRM_FORGET: Expect.YES_NO,
            Expecting.ANYTHING_ELSE: Expect.YES_NO, Expecting.PHONE: Expect.DIGITS, Expecting.PHONE_LOOKUP: Expect.DIGITS,
            Expecting.IDENTIFY: Expect.DIGITS, Expecting.NAME: Expect.NAME}
        return Listening(expect.get(self.expecting), self.caller.pause_ms if self.caller else None)

    def greeting(self) -> str:
        first = _first_name(self.caller.name) if self.caller else None
        if first:
            return f"Hello {first}, welcome back to {self.domain.name}. How can I help you?"
        return phrases.greeting(self.domain)

    def committed(self, booking: Booking) -> list[Action]:
        """The store made `booking`; tell the caller and move on."""
        done = phrases.cancelled if self.task == "cancel" else phrases.booked
        text = done(booking, self.now.date())
        self._reset()
        self.expecting = Expecting.ANYTHING_ELSE
        return self._say(text, "Is there anything else I can do for you?")

    # --- the turn -------------------------------------------------------------------------

    def _understood(self, u: Understanding) -> list[Action]:
        for handler in (self._global, self._memory_answers, self._confirmation, self._task_switch, self._slots):
            actions = handler(u)
            if actions is not None:
                self.misunderstood = 0
                return actions
        return self._misunderstanding()

    def _global(self, u: Understanding) -> list[Action] | None:
        """Questions that can come at any point, and leave the task where it was."""
        intents = u.intents
        for request in ("forget", "recall", "remember"):
            if request in intents:
                return self._memory_request(request, u)
        if "repeat" in intents:
            return self._say(self.last_said or phrases.greeting(self.domain))
        if "staff" in intents:
            return self._hand_over()
        if "goodbye" in intents and self.expecting != Expecting.CONFIRM:
            return [*self._say(phrases.goodbye()), EndCall()]
        resume = self.question()
        asks_only_a_day = u.act == "ask" and u.day and not (u.party_size or u.clock or set(intents) & TASK_INTENTS)
        if "hours" in intents and "book" not in intents or asks_only_a_day and self.follows_on == "hours":
            self.topic = "hours"  # "And what about Tuesday?" asks the hours again
            return self._say(phrases.hours(self.domain, u.day), resume)
        if asks_only_a_day and self.task is None:
            return self._say(phrases.OUT_OF_DOMAIN, "How can I help?")  # "What's the weather like today?"
        if "address" in intents:
            return self._say(f"We're at {self.domain.address}.", resume)
        if "help" in intents:
            return self._say(phrases.HELP, resume)
        if intents == ["other"]:
            return self._say(phrases.OUT_OF_DOMAIN, resume or "How can I help?")
        if self.expecting == Expecting.ANYTHING_ELSE and "no" in intents:
            return [*self._say(phrases.goodbye()), EndCall()]
        if intents in (["thanks"], ["greeting"], ["thanks", "greeting"]) and self.task is None and not u.details():
            if "greeting" in intents:
                return self._say("How can I help you today?" if self._preface else phrases.greeting(self.domain))
            return self._say("You're welcome. Anything else?")
        return None

    def _confirmation(self, u: Understanding) -> list[Action] | None:
        if self.expecting != Expecting.CONFIRM:
            return None
        if self._apply(u):
            return self._next()
        if "yes" in u.intents:
            return self._act()
        if "no" in u.intents and not _gives_details(u):
            self.expecting = Expecting.CORRECTION
            return self._say("No problem. What should I change?")
        return self._unchanged(u)

    def _unchanged(self, u: Understanding) -> list[Action] | None:
        """A detail said again just as we have it, while the booking is read back: a name the caller
        says is wrong is one we keep mishearing, so it is spelled; anything else, read back again."""
        disputed = u.act == "correct" or self.expecting == Expecting.CORRECTION
        if u.name and disputed and _corrected_name(self.draft.name, u.name) == self.draft.name:
            return self._ask_spelling()
        if _gives_details(u) or u.act == "affirm" and self.expecting == Expecting.CORRECTION:
            return self._next()
        return None

    def _ask_spelling(self) -> list[Action]:
        self.spelling, self.draft.name, self.expecting = self.draft.name, None, Expecting.NAME
        return self._say(f"I have the name as {self.spelling}.", "Could you spell it for me, letter by letter?")

    def _spelled(self, u: Understanding) -> list[Action]:
        """The answer to "could you spell it?": the name as spelled, else the one we had, read back."""
        doubted, self.spelling = self.spelling, None
        letters = spelled_name(u.text)
        self.draft.name = _corrected_name(doubted, letters, alike=0.0) if letters else doubted
        self._apply(replace(u, name=None))  # a number or a time said with it still counts; the name is done
        return self._next()

    def _task_switch(self, u: Understanding) -> list[Action] | None:
        for task in ("cancel", "change", "check", "book"):
            if task in u.intents and task != self.task and not (task == "change" and self.task == "book"):
                self._reset()
                self.task = task
                if task == "book":
                    self._prefill()
                    self._apply(u)
                    return self._next()
                phone = u.phone or (self.caller.phone if self.caller else None)
                if phone:
                    return self._look_up(phone, None)
                self.expecting = Expecting.PHONE_LOOKUP
                return self._say(phrases.ask_lookup(task))
        return None

    def _slots(self, u: Understanding) -> list[Action] | None:
        if self.expecting == Expecting.PHONE_LOOKUP:
            if u.phone or u.name:
                return self._look_up(u.phone, u.name)
            return None
        if self.expecting in (Expecting.CHANGE_WHAT, Expecting.CORRECTION):
            if self._apply(u):
                return self._next()
            return self._unchanged(u)
        if self.expecting == Expecting.NAME and self.spelling is not None:
            return self._spelled(u)
        if self.task is None:
            if u.party_size or u.day or u.clock:
                self.task = "book"
                self._prefill()
                self._apply(u)
                return self._next()
            return None
        if self.expecting == Expecting.PARTY_SIZE and self.suggested and "no" in u.intents and not u.bare_number:
            self.suggested = None
            return self._say("No problem.", phrases.ask("party_size", 0, self.draft))
        if self.expecting == Expecting.AT and self.offered and not u.clock and (picked := self._picked(u)):
            self.draft.at = picked
            return self._next()
        if self.expecting == Expecting.AT and len(self.offered) > 1 and not u.clock and u.act == "affirm":
            return self._say(f"Which would you like: {phrases.either(self.offered)}?")
        if self._apply(u):
            return self._next()
        if u.act == "affirm" and self.expecting in SLOTS:
            return self._say("Good.", self._question_again())  # "Yes, 8 is fine" to "Can I take a name?"
        return None

    def _picked(self, u: Understanding) -> time | None:
        """The offered time the caller chose: "yes" to a single offer, or the first or the later one."""
        words = u.text.lower()
        if re.search(r"\b(first|earlier|former|sooner)\b", words):
            return self.offered[0]
        if re.search(r"\b(second|later|latter|last)\b", words):
            return self.offered[-1]
        return self.offered[0] if u.act == "affirm" and len(self.offered) == 1 else None

    # --- filling and checking details -------------------------------------------------------

    def _apply(self, u: Understanding) -> bool:
        """Take every detail the utterance gives (corrections included); True if any was new."""
        draft, before = self.draft, replace(self.draft, notes=list(self.draft.notes))
        expecting = self.expecting
        if u.party_size:
            draft.party_size = u.party_size
        elif u.bare_number and expecting in (Expecting.CONFIRM, Expecting.CORRECTION, Expecting.CHANGE_WHAT):
            draft.party_size = u.bare_number
        elif expecting == Expecting.PARTY_SIZE and self.suggested and "yes" in u.intents:
            draft.party_size = self.suggested
        if u.day:
            draft.day = u.day
            if draft.at and not u.clock:
                draft.clock, draft.at = Clock(draft.at.hour, draft.at.minute, "pm" if draft.at.hour >= 12 else "am"), None
        if u.clock:
            draft.clock, draft.at = u.clock, None
        if u.name:
            draft.name = _corrected_name(draft.name, u.name)
        if u.phone:
            draft.phone = u.phone
        elif u.phone_part and draft.phone:
            draft.phone = _with_part(draft.phone, *u.phone_part)
        draft.notes += [note for note in u.notes if note not in draft.notes]
        if draft.clock and draft.day:
            draft.at, draft.clock = self._resolve(draft.clock, draft.day), None
        return draft != before

    def _resolve(self, clock: Clock, day: date) -> time:
        """The clock time the caller most likely meant: said am/pm, else the one we are open at."""
        hour = clock.hour % 12 if clock.meridiem else clock.hour
        if clock.meridiem == "pm":
            return time(hour + 12 if hour < 12 else hour, clock.minute)
        if clock.meridiem == "am" or hour >= 12:
            return time(hour, clock.minute)
        seatings = self.domain.seating_times(day)
        later = time(hour + 12, clock.minute)
        if later in seatings or time(hour, clock.minute) not in seatings:
            return later
        return time(hour, clock.minute)

    def _next(self) -> list[Action]:
        """Check what we have, then ask for the next missing detail, or confirm."""
        problem = self._problem()
        if problem:
            return problem
        slot = self.draft.missing()
        if slot == "at" and self.draft.clock is None and self.draft.day is None:
            slot = "day"
        if slot == "party_size" and self.trusted and self.caller and self.caller.usual_party_size:
            self.suggested = self.caller.usual_party_size
            self.expecting = Expecting(slot)
            return self._say(f"A table for {self.suggested} again, like last time?")
        if slot == "phone" and self._known_by_name() and (candidate := self.candidate) and candidate.phone:
            self.expecting = Expecting.IDENTITY
            return self._say(f"Are you the {candidate.name} who has booked with us before?")
        if slot:
            self.expecting = Expecting(slot)
            return self._say(self._question_again())
        self.expecting = Expecting.CONFIRM
        return self._say(phrases.confirm(self.task, self.draft.booking(), self.now.date()))

    def _problem(self) -> list[Action] | None:
        draft, domain, today = self.draft, self.domain, self.now.date()
        if draft.name and doubtful_name(draft.name) and self.spelling is None and not self._name_doubted:
            self._name_doubted = True  # asked once a call: a name that is still doubtful after it is read back
            return self._ask_spelling()
        if draft.phone is not None and not plausible_phone(draft.phone):
            heard, draft.phone = draft.phone, None  # a digit misheard or lost: confirm it alone, never book it
            self.expecting = Expecting.PHONE
            return self._say(f"I heard {' '.join(heard)}, which is {len(heard)} digits.",
                             "Could you say the number again, one digit at a time?")
        if draft.party_size is not None and not 1 <= draft.party_size <= domain.seats_per_table:
            draft.party_size = None
            self.expecting = Expecting.PARTY_SIZE
            return self._say(f"Our largest table seats {domain.seats_per_table}.", "How many people will it be?")
        if draft.day is not None:
            reason = self._day_problem(draft.day, today)
            if reason:
                draft.day = None
                self.expecting = Expecting.DAY
                return self._say(reason, "Which other day would suit you?")
        if draft.day is not None and draft.at is not None:
            return self._time_problem()
        return None

    def _day_problem(self, day: date, today: date) -> str | None:
        return booking_rules.day_problem(self.domain, day, today)

    def _time_problem(self) -> list[Action] | None:
        draft, day, at = self.draft, self.draft.day, self.draft.at
        assert day is not None and at is not None, "a time is checked once the day and the time are known"
        seatings = self.domain.seating_times(day)
        if at not in seatings:
            draft.at = None
            self.expecting = Expecting.AT
            return self._say(self._why_not(at, day, seatings), self._offer_times(near=at))
        if datetime.combine(day, at) <= self.now:
            draft.at = None
            self.expecting = Expecting.AT
            return self._say("That time has already passed.", self._offer_times())
        ignoring = self.existing.id if self.existing else None
        if self.calendar.free_tables(day, at, ignoring) < 1:
            draft.at = None
            self.expecting = Expecting.AT
            return self._say(f"We're fully booked at {phrases.clock(at)}.", self._offer_times(near=at))
        return None

    def _why_not(self, at: time, day: date, seatings: list[time]) -> str:
        return booking_rules.why_not(self.domain, at, day, seatings, self.now.date())

    def _offer_times(self, near: time | None = None, count: int = 2) -> str:
        day = self.draft.day
        assert day is not None, "times are offered on a known day"
        ignoring = self.existing.id if self.existing else None
        free = [t for t in self.domain.seating_times(day)
                if datetime.combine(day, t) > self.now and self.calendar.free_tables(day, t, ignoring) > 0]
        self.expecting = Expecting.AT
        if not free:
            self.draft.day = None
            self.expecting = Expecting.DAY
            return f"There's nothing free on {phrases.day(day, self.now.date())}. Which other day would suit you?"
        if near is not None:
            minutes = lambda t: abs(t.hour * 60 + t.minute - near.hour * 60 - near.minute)  # noqa: E731
            free = sorted(sorted(free, key=minutes)[:count])
        self.offered = free[:count]
        return f"I could offer {phrases.either(self.offered)}. Would that work?"

    # --- existing bookings ------------------------------------------------------------------

    def _look_up(self, phone: str | None, name: str | None) -> list[Action]:
        found = self.calendar.find(phone=phone, name=name, today=self.now.date())
        if not found:
            return self._not_found(phone)
        self.failed_lookups = 0
        booking = found[0]
        caller = self.caller
        if not (self.trusted and caller and caller.phone == booking.phone):
            return self._ask_second(second_for_booking(booking, found_by_phone=phone is not None))
        return self._found(booking)

    def _found(self, booking: Booking) -> list[Action]:
        """A booking the caller may hear about: described, then checked, cancelled or changed."""
        self.existing = booking
        described = phrases.describe(booking, self.now.date())
        if self.task == "check":
            self.task = None
            self.expecting = Expecting.ANYTHING_ELSE
            return self._say(f"Yes, I have {described}.", "Anything else?")
        if self.task == "cancel":
            self.expecting = Expecting.CONFIRM
            return self._say(f"I have {described}.", "Shall I cancel it?")
        self.draft = Draft.of(booking)
        self.expecting = Expecting.CHANGE_WHAT
        return self._say(f"I have {described}.", "What would you like to change?")

    def _not_found(self, phone: str | None) -> list[Action]:
        """Ask again for the number of a booking we cannot find, a number of an unlikely length digit
        by digit; after that, stop asking and offer what else we can do."""
        self.failed_lookups += 1
        if self.failed_lookups >= MAX_FAILED_LOOKUPS:
            self._reset()
            self.expecting = Expecting.ANYTHING_ELSE
            return self._say("I'm sorry, I can't find a booking under that.", "Is there anything else I can do for you?")
        self.expecting = Expecting.PHONE_LOOKUP
        if phone and not plausible_phone(phone):
            return self._say(f"I heard {' '.join(phone)}, which is {len(phone)} digits.",
                             "Could you say the number again, one digit at a time?")
        return self._say("I can't find a booking under that.", "Could you give me the phone number you booked with?")

    def _act(self) -> list[Action]:
        if self.task == "cancel" and self.existing:
            return [Cancel(self.existing)]
        booking_id = self.existing.id if self.existing else None
        return [Commit(self.draft.booking(booking_id))]

    # --- repair and bookkeeping -------------------------------------------------------------

    def _misunderstanding(self) -> list[Action]:
        if self._preface and self.task is None:
            return self._say("How can I help you today?")  # "Hello, it's 555 4444": welcomed, nothing asked yet
        self.misunderstood += 1
        if self.misunderstood >= 2 * MAX_MISUNDERSTANDINGS:
            return [*self._say("I'm sorry I couldn't help this time. Please call again later. Goodbye."),
                    Attention("ended without being understood"), EndCall()]
        if self.expecting in SLOTS:
            return self._say(phrases.sorry(self.turn), self._question_again())
        if self.misunderstood % MAX_MISUNDERSTANDINGS == 0:
            return self._say("Sorry, I'm not getting this.", phrases.HELP)
        if self.misunderstood % MAX_MISUNDERSTANDINGS == 2:
            return self._say("Sorry, I still didn't get that.", phrases.ask_again(self.expecting))
        return self._say(phrases.sorry(self.turn), self.question() or "How can I help?")

    def _question_again(self) -> str:
        """The question for the detail expected: asked plainly, then with an example, then with a way
        out (something to say yes to, or spelling it), never the same words a fourth time."""
        slot = self.expecting
        last, times = self._asked
        times = times + 1 if last == slot else 1
        self._asked = (slot, times)
        if slot is None or slot not in SLOTS:
            return self.question()
        if times == 1:
            return phrases.ask(slot, self.turn, self.draft)
        if times == 2:
            return phrases.ask_again(slot)
        return self._way_out(slot)

    def _hand_over(self) -> list[Action]:
        """A person, where a phone line can put the caller through to one; else when to call for one."""
        if self.phone_line and self.domain.staff_line:
            return [*self._say(phrases.PUT_THROUGH), Attention(f"asked for a person: put through to {self.domain.staff_line}"),
                    EndCall(hand_over_to=self.domain.staff_line)]
        return [Attention("asked for a person"), *self._say(phrases.no_staff(self.domain, self.now.date()), self.question())]

    def _way_out(self, slot: str) -> str:
        if slot == "party_size":
            self.suggested = 2
            return "Let's try it another way: is it a table for two? Say yes, or just the number."
        if slot == "at" and self.draft.day is not None:
            return "Let's try it another way. " + self._offer_times(near=time(19, 0), count=1)
        if slot == "phone" and self.phone_line:
            return phrases.KEYPAD
        return phrases.WAY_OUT.get(slot, phrases.ask_again(slot))

    def question(self) -> str:
        if self.expecting in SLOTS:
            return phrases.ask(self.expecting, 0, self.draft)
        questions = {
            Expecting.CONFIRM: "Shall I go ahead?",
            Expecting.PHONE_LOOKUP: "What's the phone number on the booking?",
            Expecting.CHANGE_WHAT: "What would you like to change?",
            Expecting.CORRECTION: "What should I change?",
            Expecting.ANYTHING_ELSE: "Is there anything else I can do for you?",
            Expecting.IDENTIFY: "What's the phone number you book with?",
            Expecting.IDENTITY: "Have you booked with us before?",
            Expecting.CONFIRM_FORGET: "Shall I forget everything about you?",
        }
        return questions.get(self.expecting, "") if self.expecting else ""

    # --- memory: recognition, preferences, recall, forgetting --------------------------------

    def _recognize(self, u: Understanding) -> None:
        if self.caller or not self.directory:
            return
        if u.phone:
            self.candidate = None
            known = self.directory.caller(phone=u.phone)
            if known:
                self.claimed_by = "phone"
                self._welcome(known)

    def _known_by_name(self) -> bool:
        """Once per call, before asking a new caller's number: is the name they gave one we know?"""
        if self.caller or not self.directory or not self.draft.name or self._asked_by_name:
            return False
        self._asked_by_name = True
        found = self.directory.caller(name=self.draft.name)
        self.candidate = found if found and found.phone else None
        return self.candidate is not None

    def _welcome(self, caller: Caller) -> None:
        self.caller, self.candidate = caller, None
        self._noticed.append(Recognized(caller))
        first = _first_name(caller.name)
        self._preface.append(f"Welcome back, {first}." if first else "Welcome back.")
        if self.task == "book":
            self._prefill()

    def _prefill(self) -> None:
        """A known caller is not asked again for what we know; their standing notes come along."""
        caller, draft = self.caller, self.draft
        if caller is None:
            return
        draft.name = draft.name or caller.name
        draft.phone = draft.phone or caller.phone
        new = [note for note in caller.notes if note not in draft.notes] if self.trusted else []
        if new:
            draft.notes += new
            self._preface.append(f"I have noted your {' and '.join(new)}.")

    def _memory_request(self, request: str | None, u: Understanding) -> list[Action]:
        if self.directory is None:
            return self._say("I'm sorry, this line keeps no memory of callers.", self.question())
        if self.caller is None:
            self.pending, self.expecting = request, Expecting.IDENTIFY
            return self._say("Sure. First, what's the phone number you book with?")
        if not self.trusted:
            return self._ask_second(self._second_for_caller(request, u))
        caller, back = self.caller, self.question() or "Anything else?"
        if request == "forget":
            self.expecting = Expecting.CONFIRM_FORGET
            return self._say("Shall I forget everything I know about you, your bookings included?")
        if request == "recall":
            if caller.last_booking is None:
                return self._say("I don't have a booking from you yet.", back)
            return self._say(f"Last time you booked {phrases.describe(caller.last_booking, self.now.date())}.", back)
        found = self.directory.recall(caller.person_id, _topic(u.text))
        if found:
            return self._say(f"You told me: {found[0].rstrip('.')}.", back)
        return self._say(phrases.known(caller, self.now.date()), back)

    def _second_for_caller(self, request: str | None, u: Understanding) -> SecondDetail:
        """A caller who said their number is asked their name, one who said their name their number."""
        caller = self.caller
        assert caller is not None
        if self.claimed_by == "phone" and caller.name:
            return SecondDetail("name", caller.name, request=request, asked=u)
        return SecondDetail("phone", caller.phone or "", request=request, asked=u)

    def _ask_second(self, second: SecondDetail) -> list[Action]:
        self.second, self.expecting = second, Expecting.VERIFY
        return self._say(second.question())

    def _second_given(self, u: Understanding) -> list[Action]:
        second, self.second = self.second, None
        assert second is not None
        if not second.matches(u):
            self._reset()
            self.expecting = Expecting.ANYTHING_ELSE
            return self._say(NOT_MATCHED, "Is there anything else I can do for you?")
        if second.booking is not None:
            return self._found(second.booking)
        self.trusted, self.expecting = True, None
        return self._memory_request(second.request, second.asked or u)

    def _memory_answers(self, u: Understanding) -> list[Action] | None:
        """Answers to the questions memory asks: who are you, is that you, really forget?"""
        if self.expecting == Expecting.VERIFY and self.second:
            return self._second_given(u)
        if self.expecting == Expecting.IDENTIFY and u.phone:
            request, self.pending = self.pending, None
            self.expecting = None
            if self.caller is None:
                return self._say("I don't have anything under that number.", "Is there anything else I can do for you?")
            return self._memory_request(request, u)
        if self.expecting == Expecting.IDENTITY and ("yes" in u.intents or "no" in u.intents) and not u.phone:
            candidate, self.candidate = self.candidate, None
            if "yes" in u.intents and candidate:
                self.draft.phone = candidate.phone
                self.claimed_by = "name"
                self._welcome(candidate)
                return self._next()
            self.expecting = Expecting.PHONE
            return self._say("Sorry, my mistake.", phrases.ask("phone", 0, self.draft))
        if self.expecting == Expecting.CONFIRM_FORGET:
            if "yes" in u.intents and self.caller:
                return [Forget(self.caller)]
            if "no" in u.intents:
                self.expecting = Expecting.ANYTHING_ELSE
                return self._say("All right, I'll keep everything as it is.", "Anything else?")
        return None

    def aside(self, answer: str) -> str:
        """The caller got `answer` to a question off the subject; what to ask to get back on it."""
        back = self.question() or "Can I help you with a table?"
        self.last_said = f"{answer} {back}"
        return back

    def _reset(self) -> None:
        self.task, self.draft, self.expecting, self.existing = None, Draft(), None, None
        self.suggested, self.offered, self._asked = None, [], (None, 0)
        self.spelling, self.failed_lookups, self.second = None, 0, None

    def _say(self, *sentences: str) -> list[Action]:
        preface, self._preface = self._preface, []
        text = " ".join(s for s in (*preface, *sentences) if s)
        self.last_said = text
        return [Say(text)]
