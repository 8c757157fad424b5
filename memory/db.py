"""Parley's one SQLite file: opening it, its schema version, and the migrations that upgrade it in place."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import platformdirs
import sqlite_utils

from parley.dialogue.types import StoreError


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("parley")) / "parley.db"


def open_db(path: Path | str) -> sqlite_utils.Database:
    """The database at `path`, created or upgraded to the current schema, in autocommit mode
    (every write is its own transaction unless `immediate` opens one), WAL, foreign keys on."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, isolation_level=None, timeout=10, check_same_thread=False)
        _to_wal(connection)
        connection.execute("PRAGMA synchronous=NORMAL")  # in WAL: survives a killed process, fsyncs at checkpoints
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA secure_delete=ON")  # forgotten rows are overwritten, not left in free pages
        db = sqlite_utils.Database(connection)
        migrate(db)
    except (OSError, sqlite3.Error) as error:
        raise StoreError(f"{path}: cannot open the database ({error})") from None
    return db


def _to_wal(connection: sqlite3.Connection, tries: int = 100) -> None:
    """Switch a file to WAL, trying again while others do: on a new file the switch needs the
    exclusive lock, and SQLite refuses two connections that both wait for it at once without
    waiting (its deadlock rule), so two calls opening a new file together could see "locked"."""
    for _ in range(tries - 1):
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            time.sleep(0.02)
    connection.execute("PRAGMA journal_mode=WAL")


def delete_db(path: Path) -> None:
    """Remove the database at `path` with its WAL files, to start afresh (the demo, a scenario)."""
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        part.unlink(missing_ok=True)


def insert_row(table: sqlite_utils.db.Table, row: dict) -> int:
    """Insert one row; its new id."""
    row_id = table.insert(row).last_pk
    assert row_id is not None  # SQLite gives every inserted row an id
    return row_id


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> None:
    """Run the migrations the file has not had yet, each in one transaction with its version bump.
    The version is read again under the write lock: two calls opening a new file at once (two
    browser tabs, say) would otherwise both create its tables."""
    if _known(schema_version(db)) == len(MIGRATIONS):
        return
    while True:
        with immediate(db):
            version = _known(schema_version(db))
            if version == len(MIGRATIONS):
                return
            MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {version + 1}")


def _known(version: int) -> int:
    if version > len(MIGRATIONS):
        raise StoreError(f"schema version {version} is newer than this Parley knows ({len(MIGRATIONS)})")
    return version


class immediate:
    """BEGIN IMMEDIATE ... COMMIT: the write lock is taken first, so a check and the write that
    depends on it cannot interleave with another process (two callers, one last table)."""

    def __init__(self, db: sqlite_utils.Database):
        self.connection = db.conn

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise StoreError(f"cannot write to the database ({error})") from None
        return self.connection

    def __exit__(self, kind: object, error: BaseException | None, traceback: object) -> None:
        self.connection.execute("COMMIT" if kind is None else "ROLLBACK")
        if isinstance(error, sqlite3.Error):
            raise StoreError(f"cannot write to the database ({error})") from error


def _v1_reservations(db: sqlite_utils.Database) -> None:
    # Files made before the schema had a version already have this table.
    if db.table("reservations").exists():
        return
    db.table("reservations").create(
        {"id": int, "party_size": int, "day": str, "at": str, "name": str, "phone": str,
         "notes": str, "status": str, "created": str, "updated": str},
        pk="id",
    )
    db.table("reservations").create_index(["day", "at", "status"])
    db.table("reservations").create_index(["phone"])


def _v2_memory(db: sqlite_utils.Database) -> None:
    db.table("people").create({"id": int, "name": str, "created": str, "last_seen": str}, pk="id")
    db.table("identities").create({"id": int, "person_id": int, "kind": str, "value": str}, pk="id",
                            foreign_keys=[("person_id", "people", "id")])
    db.table("identities").create_index(["kind", "value"], unique=True)
    db.table("sessions").create({"id": int, "person_id": int, "transport": str, "started": str, "ended": str}, pk="id",
                          foreign_keys=[("person_id", "people", "id")])
    db.table("turns").create({"id": int, "session_id": int, "role": str, "text": str, "heard": str, "interrupted": int,
                        "trace": str, "at": str}, pk="id", foreign_keys=[("session_id", "sessions", "id")])
    db.table("facts").create({"id": int, "person_id": int, "key": str, "value": str, "turn_id": int, "learned": str,
                        "confirmed": str}, pk="id",
                       foreign_keys=[("person_id", "people", "id"), ("turn_id", "turns", "id")])
    db.table("facts").create_index(["person_id", "key", "value"], unique=True)
    db.execute("ALTER TABLE reservations ADD COLUMN person_id INTEGER REFERENCES people(id)")
    db.table("turns").enable_fts(["text", "heard"], create_triggers=True)
    db.table("facts").enable_fts(["key", "value"], create_triggers=True)


def _v3_turn_origin(db: sqlite_utils.Database) -> None:
    # Where a turn was first recorded (a satellite's "device:seq:role"), so a turn sent twice is kept once.
    db.execute("ALTER TABLE turns ADD COLUMN origin TEXT")
    db.execute("CREATE UNIQUE INDEX turns_origin ON turns(origin)")


def _v4_staff(db: sqlite_utils.Database) -> None:
    # For the restaurant's staff: how each booking was made (phone, websocket, satellite, staff ...),
    # why one needs a look (an offline booking whose table went meanwhile), and why a call does.
    db.execute("ALTER TABLE reservations ADD COLUMN made_via TEXT")
    db.execute("ALTER TABLE reservations ADD COLUMN flag TEXT")
    db.execute("ALTER TABLE sessions ADD COLUMN attention TEXT")
    # A booking a satellite took offline, kept once however often it is sent: its journal origin.
    db.execute("ALTER TABLE reservations ADD COLUMN origin TEXT")
    db.execute("CREATE UNIQUE INDEX reservations_origin ON reservations (origin)")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1_reservations, _v2_memory, _v3_turn_origin, _v4_staff]
