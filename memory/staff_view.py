"""What the restaurant's staff see: a day's bookings, the free tables per slot, the calls that need a person, a transcript."""

from __future__ import annotations

import json
from datetime import date

import sqlite_utils

from parley.dialogue.domain import Domain
from parley.memory.reservations import ReservationStore


def day_sheet(db: sqlite_utils.Database, domain: Domain, day: date) -> dict:
    """The day as plain JSON values: bookings by time (cancelled ones too), free tables per seating, calls to look at."""
    store = ReservationStore(db, domain.tables_per_slot)
    slots = [{"at": at.strftime("%H:%M"), "free": store.free_tables(day, at)} for at in domain.seating_times(day)]
    return {"day": day.isoformat(), "restaurant": domain.name, "open": domain.opening(day) is not None,
            "bookings": bookings(db, day), "slots": slots, "attention": attention(db, day)}


def bookings(db: sqlite_utils.Database, day: date) -> list[dict]:
    rows = db.execute("select id, at, party_size, name, phone, notes, made_via, status, flag from reservations "
                      "where day = ? order by at, id", [day.isoformat()]).fetchall()
    keys = ("id", "at", "party_size", "name", "phone", "notes", "made_via", "status", "flag")
    found = [dict(zip(keys, row)) for row in rows]
    for booking in found:
        booking["notes"] = json.loads(booking["notes"] or "[]")
        booking["made_via"] = booking["made_via"] or "unknown"
    return found


def attention(db: sqlite_utils.Database, day: date) -> list[dict]:
    """Calls that day that need a person, and bookings flagged for a look, newest first."""
    rows = db.execute(
        "select s.id, s.started, s.transport, s.attention, p.name, "
        "(select value from identities i where i.person_id = p.id and i.kind = 'phone' limit 1) "
        "from sessions s left join people p on p.id = s.person_id "
        "where s.attention is not null and date(s.started) = ? order by s.started desc", [day.isoformat()]).fetchall()
    calls = [{"call": call, "started": started, "via": via, "reason": reason, "name": name, "phone": phone}
             for call, started, via, reason, name, phone in rows]
    flagged = db.execute("select id, at, name, flag from reservations where day = ? and flag is not null order by at",
                         [day.isoformat()]).fetchall()
    return calls + [{"booking": booking_id, "at": at, "name": name, "reason": flag} for booking_id, at, name, flag in flagged]


def transcript(db: sqlite_utils.Database, call: int) -> list[dict]:
    """One call's turns in order: who spoke, what was said, what of it was heard, when."""
    rows = db.execute("select role, text, heard, interrupted, at from turns where session_id = ? order by id", [call])
    return [{"role": role, "text": text, "heard": heard, "interrupted": bool(interrupted), "at": at}
            for role, text, heard, interrupted, at in rows.fetchall()]
