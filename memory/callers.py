"""Memory as the dialogue uses it: callers it can recognize, and the record of one call."""

from __future__ import annotations

from datetime import date, time

from parley.dialogue.nlu import Understanding
from parley.dialogue.types import Booking, Caller, Transport
from parley.memory.people import Memory, Person
from parley.memory.reservations import ReservationStore


class Callers:
    """The dialogue manager's `Directory`: people as callers, with their preferences and last booking."""

    def __init__(self, memory: Memory, store: ReservationStore):
        self.memory = memory
        self.store = store

    def caller(self, phone: str | None = None, name: str | None = None) -> Caller | None:
        if phone:
            person = self.memory.find("phone", phone)
        else:
            named = self.memory.find_by_name(name) if name else []
            person = named[0] if len(named) == 1 else None  # two people of one name: ask for the number
        return self.as_caller(person) if person else None

    def as_caller(self, person: Person) -> Caller:
        sizes = [int(f.value) for f in person.facts if f.key == "party_size" and f.value.isdigit()]
        notes = tuple(f.value for f in person.facts if f.key == "note")
        pauses = [int(f.value) for f in person.facts if f.key == "pause_ms" and f.value.isdigit()]
        return Caller(person.id, person.name, person.phone, sizes[0] if sizes else None, notes,
                      self.store.last(person.id), pauses[0] if pauses else None)

    def recall(self, person_id: int, query: str) -> list[str]:
        return self.memory.recall(person_id, query)

    def known_names(self, limit: int) -> list[str]:
        return self.memory.known_names(limit)


class CallLog:
    """One call in memory: its session row, its turns, who the caller is, and what they told us."""

    def __init__(self, memory: Memory, store: ReservationStore, transport: Transport, person: Person | None = None,
                 records_turns: bool = True):
        self.memory = memory
        self.store = store
        self.transport = transport
        self.records_turns = records_turns  # False for a satellite: it sends its own turn records (`record`)
        self.person_id = person.id if person else None
        self.session_id = memory.start_session(transport, self.person_id)

    def identified(self, person_id: int) -> None:
        if self.person_id is None:
            self.person_id = person_id
            self.memory.attach(self.session_id, person_id)

    def caller_said(self, text: str, understood: Understanding | None) -> None:
        turn_id = self.memory.add_turn(self.session_id, "user", text) if self.records_turns else None
        if self.person_id is not None and understood is not None and _statement(text, understood):
            for note in understood.notes:
                self.memory.learn(self.person_id, "note", note, turn_id)

    def caller_backchanneled(self, text: str) -> None:
        """ "Mhm" over a reply: kept as a backchannel, never recalled as something the caller said."""
        if self.records_turns:
            self.memory.add_turn(self.session_id, "backchannel", text)

    def agent_said(self, text: str, heard: str, interrupted: bool = False, trace: dict | None = None) -> None:
        if self.records_turns:
            self.memory.add_turn(self.session_id, "agent", text, heard, interrupted, trace)

    def record(self, turn: dict, origin: str) -> bool:
        """A turn as a satellite recorded it, online or offline, or a booking it took offline; False
        when it was already stored."""
        if turn["role"] == "booking":
            made = self.store.adopt(booking_of(turn["booking"]), origin)
            if made is not None:
                self.booked(made)
            return made is not None
        return self.memory.add_turn(self.session_id, turn["role"], turn["text"], turn.get("heard"),
                                    turn.get("interrupted", False), turn.get("trace"), origin, turn.get("at")) is not None

    def booked(self, booking: Booking) -> int:
        """A booking was made: the caller is someone now (made if new), with what they booked."""
        if self.person_id is None:
            person_id = self.memory.recognize("phone", booking.phone, booking.name).id
            self.identified(person_id)
        else:
            person_id = self.person_id
            self.memory.link(person_id, "phone", booking.phone)
            if not self.memory.person(person_id).name:
                self.memory.name(person_id, booking.name)
        assert booking.id is not None, "a booking made is stored"
        self.store.assign(booking.id, person_id)
        self.memory.learn(person_id, "party_size", str(booking.party_size))
        for note in booking.notes:
            self.memory.learn(person_id, "note", note)
        return person_id

    def paused(self, longest_ms: float) -> None:
        """The longest pause the caller made inside a turn this call, blended with what we knew."""
        if self.person_id is None:
            return
        known = [int(f.value) for f in self.memory.person(self.person_id).facts if f.key == "pause_ms"]
        blended = round(longest_ms if not known else 0.5 * known[0] + 0.5 * longest_ms)
        self.memory.set_fact(self.person_id, "pause_ms", str(blended))

    def forget(self) -> None:
        if self.person_id is not None:
            self.memory.forget(self.person_id)
        self.person_id = None
        self.session_id = self.memory.start_session(self.transport)  # the rest of this call, about no one

    def needs_attention(self, reason: str) -> None:
        """Staff should look at this call (`parley bookings`, the staff page): the latest reason stands."""
        self.memory.flag_session(self.session_id, reason)

    def end(self) -> None:
        self.memory.end_session(self.session_id)


def booking_of(fields: dict) -> Booking:
    """A booking from a satellite's record (checked by the protocol's parser)."""
    return Booking(fields["party_size"], date.fromisoformat(fields["day"]), time.fromisoformat(fields["at"]),
                   fields["name"], fields["phone"], tuple(fields.get("notes", ())))


def _statement(text: str, understood: Understanding) -> bool:
    """Facts come from what the caller tells us, not from their questions about what we know."""
    return not text.rstrip().endswith("?") and not {"remember", "recall", "forget"} & set(understood.intents)
