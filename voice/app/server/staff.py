"""The staff page's WebSocket (`/staff/ws`): the day's sheet, pushed again whenever the database
changes; bookings added, changed or cancelled by hand through the dialogue's own rules."""

from __future__ import annotations

import asyncio
import json
from datetime import date, time
from pathlib import Path

import sqlite_utils
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from parley.dialogue.booking_rules import booking_problem
from parley.dialogue.domain import Domain
from parley.dialogue.types import Booking, StoreError
from parley.memory.db import default_db_path, open_db
from parley.memory.reservations import ReservationStore
from parley.memory.staff_view import day_sheet, transcript

WATCH_SECONDS = 0.5  # how often the database is asked whether anyone wrote to it


class Refused(Exception):
    """A staff request that cannot be carried out; the message says why, for the page to show."""


class StaffDesk:
    """One staff page's connection: which day it shows, and what it asks for."""

    def __init__(self, domain: Domain, db: Path | None):
        self.domain = domain
        self.db: sqlite_utils.Database = open_db(db or default_db_path())
        self.store = ReservationStore(self.db, domain.tables_per_slot, made_via="staff")
        self.day = domain.now().date()

    def sheet(self) -> dict:
        return {"type": "day", **day_sheet(self.db, self.domain, self.day)}

    def written(self) -> int:
        """SQLite's count of writes by other connections: it moves when a call books or cancels."""
        [(version,)] = self.db.execute("PRAGMA data_version").fetchall()
        return int(version)

    def handle(self, request: dict) -> dict:
        """One request from the page; the answer to send back."""
        kind = request.get("type")
        if kind == "show":
            self.day = _day(request.get("day"))
            return self.sheet()
        if kind == "transcript":
            return {"type": "transcript", "call": request.get("call"), "turns": transcript(self.db, int(request["call"]))}
        if kind == "cancel":
            booking = self._stored(request.get("id"))
            self.store.cancel(booking)
            return {"type": "done", "message": f"Cancelled {booking.name}'s table at {booking.at:%H:%M}."}
        if kind in ("book", "change"):
            return self._book(request, self._stored(request.get("id")).id if kind == "change" else None)
        raise Refused(f"unknown request {kind!r}: show, book, change, cancel or transcript")

    def _book(self, request: dict, booking_id: int | None) -> dict:
        booking = _booking(request.get("booking"), booking_id)
        problem = booking_problem(self.domain, self.store, booking, self.domain.now())
        if problem:
            raise Refused(problem)
        made = self.store.commit(booking)
        if made is None:
            raise Refused(f"We're fully booked at {booking.at:%H:%M}.")  # taken between the check and the write
        return {"type": "done", "message": f"{made.name}, {made.party_size} people on {made.day} at {made.at:%H:%M}: saved."}

    def _stored(self, booking_id: object) -> Booking:
        booking = self.store.booked(booking_id)
        if booking is None:
            raise Refused(f"no booking {booking_id} to change")
        return booking


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
    except ValueError as error:
        raise Refused(f"a booking's party size is a number and its time HH:MM ({error})") from None


async def serve_staff(connection: ServerConnection, domain: Domain, db: Path | None) -> None:
    """Until the page goes away: its requests answered, and the sheet pushed again after every write."""
    desk = await asyncio.to_thread(StaffDesk, domain, db)
    lock = asyncio.Lock()  # the desk's one connection: a request and the watcher take turns
    try:
        await connection.send(json.dumps(await asyncio.to_thread(desk.sheet)))
        watching = asyncio.create_task(_watch(connection, desk, lock))
        try:
            async for message in connection:
                async with lock:
                    await connection.send(json.dumps(await asyncio.to_thread(_answer, desk, message)))
        finally:
            watching.cancel()
    except ConnectionClosed:
        pass
    finally:
        desk.db.close()


def _answer(desk: StaffDesk, message: str | bytes) -> dict:
    try:
        request = json.loads(message)
        if not isinstance(request, dict):
            raise Refused("a request is a JSON object")
        return desk.handle(request)
    except (Refused, StoreError) as error:
        return {"type": "refused", "reason": str(error)}
    except (json.JSONDecodeError, TypeError, ValueError) as error:
        return {"type": "refused", "reason": f"not a request this page understands ({error})"}


async def _watch(connection: ServerConnection, desk: StaffDesk, lock: asyncio.Lock) -> None:
    """Push the sheet again whenever anyone (a call, another staff page) has written to the database."""
    seen = await asyncio.to_thread(desk.written)
    while True:
        await asyncio.sleep(WATCH_SECONDS)
        async with lock:
            now = await asyncio.to_thread(desk.written)
            if now != seen:
                seen = now
                await connection.send(json.dumps(await asyncio.to_thread(desk.sheet)))
