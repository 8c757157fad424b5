"""Reservations in SQLite through sqlite-utils; a booking takes the last table atomically or fails."""

from __future__ import annotations

import json
from datetime import date, datetime, time

import sqlite_utils

from parley.dialogue.types import Booking, Transport
from parley.memory.db import immediate, insert_row


class ReservationStore:
    """The `Calendar` the dialogue manager reads, plus the writes its actions ask for."""

    def __init__(self, db: sqlite_utils.Database, tables_per_slot: int, made_via: str = ""):
        self.db = db
        self.tables_per_slot = tables_per_slot
        self.made_via = made_via  # how the bookings this store makes come in: a transport, or "staff"
        self.table = db.table("reservations")

    def free_tables(self, day: date, at: time, ignoring: int | None = None) -> int:
        sql = "select count(*) from reservations where day = ? and at = ? and status = 'booked' and id is not ?"
        [(taken,)] = self.db.execute(sql, [day.isoformat(), at.strftime("%H:%M"), ignoring]).fetchall()
        return self.tables_per_slot - taken

    def find(self, phone: str | None = None, name: str | None = None, today: date | None = None) -> list[Booking]:
        where = "status = 'booked' and day >= ?"
        params: list = [(today or date.today()).isoformat()]
        if phone:
            where += " and phone = ?"
            params.append(phone)
        elif name:
            where += " and lower(name) = lower(?)"
            params.append(name)
        else:
            return []
        rows = self.table.rows_where(where, params, order_by="day, at")
        return [_booking(row) for row in rows]

    def commit(self, booking: Booking, person_id: int | None = None) -> Booking | None:
        """Make or move a booking if a table is still free; None when it is not."""
        with immediate(self.db):
            if self.free_tables(booking.day, booking.at, booking.id) < 1:
                return None
            row = _row(booking)
            if person_id is not None:
                row["person_id"] = person_id
            if booking.id is None:
                row["created"], row["made_via"] = row["updated"], self.made_via or None
                return _booking(self.table.get(insert_row(self.table, row)))
            self.table.update(booking.id, row)
            return _booking(self.table.get(booking.id))

    def adopt(self, booking: Booking, origin: str) -> Booking | None:
        """A booking taken elsewhere while this store could not be asked (a satellite offline), stored
        once under `origin`: kept even when its table went meanwhile, then flagged for the staff.
        None when it was stored before."""
        with immediate(self.db):
            if self.db.execute("select 1 from reservations where origin = ?", [origin]).fetchone():
                return None
            row = {**_row(booking), "made_via": str(Transport.SATELLITE_OFFLINE), "origin": origin}
            row["created"] = row["updated"]
            if self.free_tables(booking.day, booking.at) < 1:
                row["flag"] = "taken offline, and every table at that time went meanwhile: call the guest"
            return _booking(self.table.get(insert_row(self.table, row)))

    def cancel(self, booking: Booking) -> None:
        assert booking.id is not None, "only a stored booking can be cancelled"
        with immediate(self.db):
            self.table.update(booking.id, {"status": "cancelled", "updated": _now()})

    def assign(self, booking_id: int, person_id: int) -> None:
        with immediate(self.db):
            self.table.update(booking_id, {"person_id": person_id})

    def booked(self, booking_id: object) -> Booking | None:
        """The booking with this id while it stands; None if there is none or it was cancelled."""
        rows = list(self.table.rows_where("id = ? and status = 'booked'", [booking_id]))
        return _booking(rows[0]) if rows else None

    def last(self, person_id: int) -> Booking | None:
        """The person's most recently made booking, kept or cancelled."""
        rows = list(self.table.rows_where("person_id = ?", [person_id], order_by="created desc, id desc", limit=1))
        return _booking(rows[0]) if rows else None


def _row(booking: Booking) -> dict:
    return {
        "party_size": booking.party_size, "day": booking.day.isoformat(), "at": booking.at.strftime("%H:%M"),
        "name": booking.name, "phone": booking.phone, "notes": json.dumps(list(booking.notes)),
        "status": "booked", "updated": _now(), "flag": booking.flag or None,
    }


def _booking(row: dict) -> Booking:
    return Booking(row["party_size"], date.fromisoformat(row["day"]), time.fromisoformat(row["at"]),
                   row["name"], row["phone"], tuple(json.loads(row["notes"])), row["id"],
                   row.get("flag") or "")


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")
