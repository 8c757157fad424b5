"""The staff page's socket messages, sans I/O: requests parsed and checked, answers as JSON."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time
from typing import Any, ClassVar

from parley.dialogue.types import Booking


class Refused(Exception):
    """A staff request that cannot be carried out; the message says why, for the page to show."""


# The page to the server.
@dataclass(frozen=True)
class Show:
    """Show the sheet of `day`."""

    day: date


@dataclass(frozen=True)
class ShowCall:
    """Show what was said on logged call `call`."""

    call: int


@dataclass(frozen=True)
class CancelBooking:
    id: int


@dataclass(frozen=True)
class Book:
    """Book a table by hand, or change booking `booking.id`."""

    booking: Booking


Request = Show | ShowCall | CancelBooking | Book


# The server to the page.
class Answer:
    """An answer: `encode()` is its text frame, `{"type": ..., **fields}`."""

    __dataclass_fields__: ClassVar[dict[str, Any]]  # every answer is a dataclass

    def encode(self) -> str:
        return json.dumps({"type": _TYPES[type(self)], **_fields(self)})


@dataclass(frozen=True)
class DaySheet(Answer):
    sheet: dict  # memory's day_sheet: its keys are the message's


@dataclass(frozen=True)
class CallTranscript(Answer):
    call: int
    turns: list


@dataclass(frozen=True)
class Done(Answer):
    message: str


@dataclass(frozen=True)
class RefusedAnswer(Answer):
    reason: str


_TYPES: dict[type, str] = {DaySheet: "day", CallTranscript: "transcript", Done: "done", RefusedAnswer: "refused"}


def _fields(answer: Answer) -> dict:
    return answer.sheet if isinstance(answer, DaySheet) else dataclasses.asdict(answer)


def parse_request(text: str | bytes) -> Request:
    """One request from the page; Refused saying what is wrong with it."""
    try:
        request = json.loads(text)
    except json.JSONDecodeError as error:
        raise Refused(f"not a request this page understands ({error})") from None
    if not isinstance(request, dict):
        raise Refused("a request is a JSON object")
    kind = request.get("type")
    if kind not in _PARSERS:
        raise Refused(f"unknown request {kind!r}: show, book, change, cancel or transcript")
    return _PARSERS[kind](request)


def _show(request: dict) -> Show:
    return Show(_day(request.get("day")))


def _show_call(request: dict) -> ShowCall:
    return ShowCall(_id(request.get("call"), "call"))


def _cancel(request: dict) -> CancelBooking:
    return CancelBooking(_id(request.get("id"), "booking"))


def _book(request: dict) -> Book:
    return Book(_booking(request.get("booking"), None))


def _change(request: dict) -> Book:
    return Book(_booking(request.get("booking"), _id(request.get("id"), "booking")))


_PARSERS: dict[str, Callable[[dict], Request]] = {"show": _show, "transcript": _show_call, "cancel": _cancel, "book": _book, "change": _change}


def _id(value: object, what: str) -> int:
    if type(value) is int or (isinstance(value, str) and value.isdigit()):
        return int(value)
    raise Refused(f"no {what} {value!r}")


def _day(value: object) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Refused(f"a day is YYYY-MM-DD, not {value!r}") from None


def _booking(fields: object, booking_id: int | None) -> Booking:
    """A booking from the page's form; Refused, naming the field, when one is missing or malformed."""
    if not isinstance(fields, dict):
        raise Refused("a booking needs its fields: party_size, day, at, name, phone")
    try:
        notes = tuple(note.strip() for note in str(fields.get("notes", "")).split(",") if note.strip())
        return Booking(int(fields["party_size"]), _day(fields["day"]), time.fromisoformat(str(fields["at"])),
                       str(fields["name"]).strip(), "".join(ch for ch in str(fields["phone"]) if ch.isdigit()), notes,
                       booking_id)
    except KeyError as missing:
        raise Refused(f"a booking needs {missing.args[0]}") from None
    except (TypeError, ValueError) as error:
        raise Refused(f"a booking's party size is a number and its time HH:MM ({error})") from None
