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
    is checked first, and brought up to this Parley's schema once in place. A damaged database is
    moved aside first (kept, for what can still be read from it), as its pages cannot be written over."""
    check(copy)
    if database.exists() and damage(database):
        set_aside(database)
    with closing(sqlite3.connect(copy)) as source, closing(sqlite3.connect(database)) as target:
        source.backup(target)
    open_db(database)  # migrates a copy from an older Parley


def check(path: Path) -> None:
    """Raises StoreError unless `path` is a whole SQLite database."""
    if not path.exists():
        raise StoreError(f"{path}: no such file")
    problem = damage(path)
    if problem:
        raise StoreError(f"{path}: {problem}")


def damage(path: Path) -> str:
    """What is wrong with the SQLite file at `path` (truncated, not a database, failing SQLite's
    integrity check), read without writing to it; "" when it is whole."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            verdicts = [str(row[0]) for row in connection.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.Error as error:
        return f"not a usable SQLite database ({error})"
    return "" if verdicts == ["ok"] else f"the database is damaged ({'; '.join(verdicts[:3])})"


def way_back(path: Path, problem: str) -> str:
    """A damaged database's error: the file, what is wrong, and how to put it right."""
    return (f"{path}: {problem}. Its calls are refused until it is put right: `parley memory restore BACKUP "
            f"--db {path}` puts a backup in its place and keeps the damaged file beside it; a cluster worker "
            "restores it from its Litestream replica instead (docs/scale.md). `parley memory check` checks again.")


def set_aside(path: Path) -> Path:
    """Move a damaged database (and its WAL files) to NAME.damaged-N; the new name."""
    aside = next(path.with_name(f"{path.name}.damaged-{n}") for n in range(1, 10_000)
                 if not path.with_name(f"{path.name}.damaged-{n}").exists())
    for end in ("", "-wal", "-shm"):
        if path.with_name(path.name + end).exists():
            path.with_name(path.name + end).rename(aside.with_name(aside.name + end))
    return aside
