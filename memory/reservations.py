"""Reservations in SQLite through sqlite-utils; a booking takes the last table atomically or fails."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, time
from pathlib import Path

import platformdirs
import sqlite_utils

from dialogue.manager import Booking


class StoreError(RuntimeError):
    """The database cannot be used (read-only, full, corrupt); the message says which file."""


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("parley")) / "parley.db"


def open_db(path: Path | str) -> sqlite_utils.Database:
    """The database at `path`, created if needed, in autocommit mode so transactions are explicit."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, isolation_level=None, timeout=10, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA foreign_keys=ON")
    except (OSError, sqlite3.Error) as error:
        raise StoreError(f"{path}: cannot open the database ({error})") from None
    return sqlite_utils.Database(connection)


class ReservationStore:
    """The `Calendar` the dialogue manager reads, plus the writes its actions ask for."""

    def __init__(self, db: sqlite_utils.Database, tables_per_slot: int):
        self.db = db
        self.tables_per_slot = tables_per_slot
        self.table = db.table("reservations")
        if not self.table.exists():
            self.table.create(
                {"id": int, "party_size": int, "day": str, "at": str, "name": str, "phone": str,
                 "notes": str, "status": str, "created": str, "updated": str},
                pk="id",
            )
            self.table.create_index(["day", "at", "status"])
            self.table.create_index(["phone"])

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

    def commit(self, booking: Booking) -> Booking | None:
        """Make or move a booking if a table is still free; None when it is not."""
        with self._transaction():
            if self.free_tables(booking.day, booking.at, booking.id) < 1:
                return None
            row = _row(booking)
            if booking.id is None:
                row["created"] = row["updated"]
                return _booking(self.table.get(self.table.insert(row).last_pk))
            self.table.update(booking.id, row)
            return _booking(self.table.get(booking.id))

    def cancel(self, booking: Booking) -> None:
        with self._transaction():
            self.table.update(booking.id, {"status": "cancelled", "updated": _now()})

    def _transaction(self):
        return _Immediate(self.db.conn)


class _Immediate:
    """BEGIN IMMEDIATE ... COMMIT: the write lock is taken before the check, so two callers
    cannot both see the last table free."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def __enter__(self):
        try:
            self.connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise StoreError(f"cannot write to the database ({error})") from None

    def __exit__(self, kind, error, traceback):
        self.connection.execute("COMMIT" if kind is None else "ROLLBACK")
        if isinstance(error, sqlite3.OperationalError):
            raise StoreError(f"cannot write to the database ({error})") from error


def _row(booking: Booking) -> dict:
    return {
        "party_size": booking.party_size, "day": booking.day.isoformat(), "at": booking.at.strftime("%H:%M"),
        "name": booking.name, "phone": booking.phone, "notes": json.dumps(list(booking.notes)),
        "status": "booked", "updated": _now(),
    }


def _booking(row: dict) -> Booking:
    return Booking(row["party_size"], date.fromisoformat(row["day"]), time.fromisoformat(row["at"]),
                   row["name"], row["phone"], tuple(json.loads(row["notes"])), row["id"])


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")
