"""The nouns the dialogue shares with memory, and the ports through which it reads and writes memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum
from typing import Protocol

from parley.dialogue.nlu import Understanding


class Transport(StrEnum):
    """How a call reached Parley; stored with each session."""

    VOICE = "voice"  # a session built without saying (a library caller)
    WEBSOCKET = "websocket"
    SATELLITE = "satellite"
    SATELLITE_OFFLINE = "satellite-offline"
    TALK = "talk"
    PHONE = "phone"  # a telephone line: SIP, or a PBX over AudioSocket
    CHAT = "chat"
    DEMO = "demo"
    BENCH = "bench"
    EVAL = "eval"


class StoreError(RuntimeError):
    """The database cannot be used (read-only, full, corrupt, too new); the message says why."""


@dataclass(frozen=True)
class Booking:
    party_size: int
    day: date
    at: time
    name: str
    phone: str
    notes: tuple[str, ...] = ()
    id: int | None = None
    flag: str = ""  # why the staff should look at it ("name unclear: heard as ..."); "": nothing to see


class Calendar(Protocol):
    """What the manager may ask of the bookings store; reads only, the store's writes are actions."""

    def free_tables(self, day: date, at: time, ignoring: int | None = None) -> int: ...

    def find(self, phone: str | None = None, name: str | None = None, today: date | None = None) -> list[Booking]: ...


@dataclass(frozen=True)
class Caller:
    """A caller Parley remembers, as the dialogue sees them."""

    person_id: int
    name: str | None
    phone: str | None
    usual_party_size: int | None = None
    notes: tuple[str, ...] = ()
    last_booking: Booking | None = None
    pause_ms: int | None = None  # the longest pause they make inside a turn, learned over calls


class Directory(Protocol):
    """What the manager may ask of memory; reads only, the writes are actions."""

    def caller(self, phone: str | None = None, name: str | None = None) -> Caller | None: ...

    def recall(self, person_id: int, query: str) -> list[str]: ...

    def known_names(self, limit: int) -> list[str]: ...


class BookingStore(Calendar, Protocol):
    """The bookings store as a call uses it: the calendar's reads, and the writes the manager asks for."""

    def commit(self, booking: Booking, person_id: int | None = None) -> Booking | None: ...

    def cancel(self, booking: Booking) -> None: ...


class CallRecord(Protocol):
    """One call in memory, as the brain writes it: who is calling, what was said and heard, what was learned."""

    person_id: int | None

    def identified(self, person_id: int) -> None: ...

    def caller_said(self, text: str, understood: Understanding | None) -> None: ...

    def agent_said(self, text: str, heard: str, interrupted: bool = False, trace: dict | None = None) -> None: ...

    def caller_backchanneled(self, text: str) -> None: ...

    def record(self, turn: dict, origin: str) -> bool: ...

    def booked(self, booking: Booking) -> int: ...

    def paused(self, longest_ms: float) -> None: ...

    def forget(self) -> None: ...

    def needs_attention(self, reason: str) -> None: ...

    def end(self) -> None: ...
