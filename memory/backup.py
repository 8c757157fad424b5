"""Copies of the database taken while calls run (SQLite's online backup API), and putting one back."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from parley.dialogue.types import StoreError
from parley.memory.db import delete_db, open_db


def backup(database: Path, out: Path) -> None:
    """A consistent copy of `database` at `out`, safe while calls write to it: SQLite copies the pages
    under a read lock, a few at a time, and starts again if a write lands meanwhile."""
    if not database.exists():
        raise StoreError(f"{database}: no such database")
    partial = out.with_name(out.name + ".partial")
    delete_db(partial)
    with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(partial)) as copy:
        source.backup(copy, pages=256)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    check(partial)
    partial.replace(out)  # a finished copy or none: never half a file under the name asked for


def restore(copy: Path, database: Path) -> None:
    """Put `copy` in place of `database` (its pages written over, under SQLite's own locks); the copy
    is checked first, and brought up to this Parley's schema once in place."""
    check(copy)
    with closing(sqlite3.connect(copy)) as source, closing(sqlite3.connect(database)) as target:
        source.backup(target)
    open_db(database)  # migrates a copy from an older Parley


def check(path: Path) -> None:
    """Raises StoreError unless `path` is a whole SQLite database."""
    if not path.exists():
        raise StoreError(f"{path}: no such file")
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            [(verdict,)] = connection.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.Error as error:
        raise StoreError(f"{path}: not a usable SQLite database ({error})") from None
    if verdict != "ok":
        raise StoreError(f"{path}: the database is damaged ({verdict})")
