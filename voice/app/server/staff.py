"""The staff page's WebSocket (`/staff/ws`): the day's sheet, pushed again whenever the database
changes; bookings added, changed or cancelled by hand through the dialogue's own rules."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlite_utils
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from parley.dialogue.booking_rules import booking_problem
from parley.dialogue.domain import Domain
from parley.dialogue.types import Booking, StoreError
from parley.memory.db import default_db_path, open_db
from parley.memory.reservations import ReservationStore
from parley.memory.staff_view import day_sheet, transcript
from parley.voice.app.server.staff_messages import (
    Answer,
    Book,
    CallTranscript,
    CancelBooking,
    DaySheet,
    Done,
    Refused,
    RefusedAnswer,
    Show,
    ShowCall,
    parse_request,
)

WATCH_SECONDS = 0.5  # how often the database is asked whether anyone wrote to it


class StaffDesk:
    """One staff page's connection: which day it shows, and what it asks for."""

    def __init__(self, domain: Domain, db: Path | None):
        self.domain = domain
        self.db: sqlite_utils.Database = open_db(db or default_db_path())
        self.store = ReservationStore(self.db, domain.tables_per_slot, made_via="staff")
        self.day = domain.now().date()

    def sheet(self) -> DaySheet:
        return DaySheet(day_sheet(self.db, self.domain, self.day))

    def written(self) -> int:
        """SQLite's count of writes by other connections: it moves when a call books or cancels."""
        [(version,)] = self.db.execute("PRAGMA data_version").fetchall()
        return int(version)

    def answer(self, message: str | bytes) -> Answer:
        """The answer to one message from the page: what it asked for, or why not."""
        try:
            request = parse_request(message)
            return REQUESTS[type(request)](self, request)
        except (Refused, StoreError) as error:
            return RefusedAnswer(str(error))

    def _show(self, request: Show) -> DaySheet:
        self.day = request.day
        return self.sheet()

    def _show_call(self, request: ShowCall) -> CallTranscript:
        return CallTranscript(request.call, transcript(self.db, request.call))

    def _cancel(self, request: CancelBooking) -> Done:
        booking = self._stored(request.id)
        self.store.cancel(booking)
        return Done(f"Cancelled {booking.name}'s table at {booking.at:%H:%M}.")

    def _book(self, request: Book) -> Done:
        booking = request.booking
        if booking.id is not None:
            self._stored(booking.id)
        problem = booking_problem(self.domain, self.store, booking, self.domain.now())
        if problem:
            raise Refused(problem)
        made = self.store.commit(booking)
        if made is None:
            raise Refused(f"We're fully booked at {booking.at:%H:%M}.")  # taken between the check and the write
        return Done(f"{made.name}, {made.party_size} people on {made.day} at {made.at:%H:%M}: saved.")

    def _stored(self, booking_id: int) -> Booking:
        booking = self.store.booked(booking_id)
        if booking is None:
            raise Refused(f"no booking {booking_id} to change")
        return booking


REQUESTS: dict[type, Callable[[StaffDesk, Any], Answer]] = {
    Show: StaffDesk._show, ShowCall: StaffDesk._show_call, CancelBooking: StaffDesk._cancel, Book: StaffDesk._book}


async def serve_staff(connection: ServerConnection, domain: Domain, db: Path | None) -> None:
    """Until the page goes away: its requests answered, and the sheet pushed again after every write."""
    desk = await asyncio.to_thread(StaffDesk, domain, db)
    lock = asyncio.Lock()  # the desk's one connection: a request and the watcher take turns
    try:
        await connection.send((await asyncio.to_thread(desk.sheet)).encode())
        watching = asyncio.create_task(_watch(connection, desk, lock))
        try:
            async for message in connection:
                async with lock:
                    await connection.send((await asyncio.to_thread(desk.answer, message)).encode())
        finally:
            watching.cancel()
    except ConnectionClosed:
        pass
    finally:
        desk.db.close()


async def _watch(connection: ServerConnection, desk: StaffDesk, lock: asyncio.Lock) -> None:
    """Push the sheet again whenever anyone (a call, another staff page) has written to the database."""
    seen = await asyncio.to_thread(desk.written)
    while True:
        await asyncio.sleep(WATCH_SECONDS)
        async with lock:
            now = await asyncio.to_thread(desk.written)
            if now != seen:
                seen = now
                await connection.send((await asyncio.to_thread(desk.sheet)).encode())
