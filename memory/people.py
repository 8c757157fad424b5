"""What Parley remembers about people: who they are, their sessions and turns, facts; recall and forgetting."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

import sqlite_utils

from parley.dialogue.nlu import normalize
from parley.dialogue.types import Transport
from parley.memory.db import immediate, insert_row


@dataclass(frozen=True)
class Fact:
    key: str
    value: str


@dataclass
class Person:
    id: int
    name: str | None
    identities: dict[str, list[str]] = field(default_factory=dict)  # kind -> values
    facts: list[Fact] = field(default_factory=list)

    @property
    def phone(self) -> str | None:
        return next(iter(self.identities.get("phone", [])), None)


class Memory:
    """People and what they said, in the same database as the reservations."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    # --- who is this --------------------------------------------------------------------------

    def find(self, kind: str, value: str) -> Person | None:
        row = self.db.execute("select person_id from identities where kind = ? and value = ?", [kind, value]).fetchone()
        return self.person(row[0]) if row else None

    def known_names(self, limit: int) -> list[str]:
        """The names of the people who call most, then most recently: what speech-to-text should expect."""
        rows = self.db.execute(
            "select name from people where coalesce(name, '') != '' order by "
            "(select count(*) from sessions where sessions.person_id = people.id) desc, last_seen desc limit ?", [limit])
        return [name for (name,) in rows]

    def find_by_name(self, name: str) -> list[Person]:
        rows = self.db.execute("select id from people where lower(name) = lower(?)", [name]).fetchall()
        return [self.person(person_id) for (person_id,) in rows]

    def lookup(self, who: str) -> Person | None:
        """A person named on the command line: by `--user`, phone, client id, or name."""
        for kind in ("user", "phone", "client", "device"):
            person = self.find(kind, who if kind != "phone" else re.sub(r"\D", "", who) or who)
            if person:
                return person
        named = self.find_by_name(who)
        return named[0] if len(named) == 1 else None

    def person(self, person_id: int) -> Person:
        row = self.db.table("people").get(person_id)
        identities: dict[str, list[str]] = {}
        for kind, value in self.db.execute("select kind, value from identities where person_id = ? order by id",
                                           [person_id]):
            identities.setdefault(kind, []).append(value)
        facts = [Fact(k, v) for k, v in self.db.execute(
            "select key, value from facts where person_id = ? order by confirmed desc, id desc", [person_id])]
        return Person(person_id, row["name"], identities, facts)

    def recognize(self, kind: str, value: str, name: str | None = None) -> Person:
        """The person with this identity, made if new; a name given fills one not yet known."""
        with immediate(self.db):
            person = self.find(kind, value)
            if person is None:
                person_id = insert_row(self.db.table("people"), {"name": name, "created": _now(), "last_seen": _now()})
                self.db.table("identities").insert({"person_id": person_id, "kind": kind, "value": value})
            else:
                person_id = person.id
                updates = {"last_seen": _now(), **({"name": name} if name and not person.name else {})}
                self.db.table("people").update(person_id, updates)
        return self.person(person_id)

    def link(self, person_id: int, kind: str, value: str) -> None:
        """Another way to know this person, unless it already belongs to someone."""
        with immediate(self.db):
            self.db.execute("insert or ignore into identities (person_id, kind, value) values (?, ?, ?)",
                            [person_id, kind, value])

    def name(self, person_id: int, name: str) -> None:
        with immediate(self.db):
            self.db.table("people").update(person_id, {"name": name})

    # --- sessions and turns -------------------------------------------------------------------

    def start_session(self, transport: Transport, person_id: int | None = None) -> int:
        with immediate(self.db):
            return insert_row(self.db.table("sessions"), {"person_id": person_id, "transport": transport, "started": _now()})

    def attach(self, session_id: int, person_id: int) -> None:
        with immediate(self.db):
            self.db.table("sessions").update(session_id, {"person_id": person_id})

    def flag_session(self, session_id: int, reason: str) -> None:
        with immediate(self.db):
            self.db.table("sessions").update(session_id, {"attention": reason})

    def end_session(self, session_id: int) -> None:
        with immediate(self.db):
            self.db.table("sessions").update(session_id, {"ended": _now()})

    def add_turn(self, session_id: int, role: str, text: str, heard: str | None = None, interrupted: bool = False,
                 trace: dict | None = None, origin: str | None = None, at: str | None = None) -> int | None:
        """The turn's id; None when a turn of the same `origin` is already stored (sent twice)."""
        row = {"session_id": session_id, "role": role, "text": text, "heard": text if heard is None else heard,
               "interrupted": int(interrupted), "trace": json.dumps(trace) if trace else None, "at": at or _now(),
               "origin": origin}
        with immediate(self.db):  # every write takes the lock first: a deferred one can fail at once when busy
            if origin is not None and self.db.execute("select 1 from turns where origin = ?", [origin]).fetchone():
                return None
            return self.db.table("turns").insert(row).last_pk

    def turns(self, session_id: int) -> list[dict]:
        return list(self.db.table("turns").rows_where("session_id = ?", [session_id], order_by="id"))

    # --- facts and recall ---------------------------------------------------------------------

    def learn(self, person_id: int, key: str, value: str, turn_id: int | None = None) -> None:
        """Note a fact, or mark it confirmed again if already known."""
        now = _now()
        with immediate(self.db):
            self.db.execute(
                "insert into facts (person_id, key, value, turn_id, learned, confirmed) values (?, ?, ?, ?, ?, ?) "
                "on conflict (person_id, key, value) do update set confirmed = excluded.confirmed",
                [person_id, key, value, turn_id, now, now])

    def set_fact(self, person_id: int, key: str, value: str) -> None:
        """A fact with one value at a time (a habit, a measure): the new value replaces the old."""
        with immediate(self.db):
            self.db.execute("delete from facts where person_id = ? and key = ?", [person_id, key])
            self.db.execute("insert into facts (person_id, key, value, learned, confirmed) values (?, ?, ?, ?, ?)",
                            [person_id, key, value, _now(), _now()])

    def recall(self, person_id: int, query: str, limit: int = 3) -> list[str]:
        """Facts, then things the person said, that match `query` (full-text, any word)."""
        words = [w for w in re.findall(r"[a-z0-9]+", query.lower()) if len(w) > 2]
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in words)
        facts = self.db.execute(
            "select facts.value from facts_fts join facts on facts.rowid = facts_fts.rowid "
            "where facts_fts match ? and facts.person_id = ? order by rank limit ?", [match, person_id, limit])
        said = self.db.execute(
            "select turns.text from turns_fts join turns on turns.rowid = turns_fts.rowid "
            "join sessions on sessions.id = turns.session_id "
            "where turns_fts match ? and sessions.person_id = ? and turns.role = 'user' order by rank limit ?",
            [match, person_id, limit])
        return [value for (value,) in facts] + [text for (text,) in said]

    # --- export and forgetting ----------------------------------------------------------------

    def export(self, person_id: int) -> dict:
        sessions = list(self.db.table("sessions").rows_where("person_id = ?", [person_id], order_by="id"))
        return {
            "person": self.db.table("people").get(person_id),
            "identities": list(self.db.table("identities").rows_where("person_id = ?", [person_id], order_by="id")),
            "facts": list(self.db.table("facts").rows_where("person_id = ?", [person_id], order_by="id")),
            "reservations": list(self.db.table("reservations").rows_where("person_id = ?", [person_id], order_by="id")),
            "sessions": [{**s, "turns": self.turns(s["id"])} for s in sessions],
        }

    def _mentioning(self, phones: list[str]) -> set[int]:
        """The sessions in which any of `phones` was said or heard."""
        turns = self.db.execute("select session_id, text, heard from turns")
        return {session for session, text, heard in turns
                if any(phone and phone in _said_digits(said) for phone in phones for said in (text, heard))}

    def forget(self, person_id: int) -> int:
        """Delete every row about the person, in every table and the full-text indexes; rows deleted."""
        phones = self.person(person_id).identities.get("phone", [])
        deleted = 0
        with immediate(self.db):
            # Their own calls, and any other call in which their number was said (another device, a friend's phone).
            ids = [row[0] for row in self.db.execute("select id from sessions where person_id = ?", [person_id])]
            ids = sorted(set(ids) | self._mentioning(phones))
            sessions = ",".join("?" * len(ids))
            deleted += self.db.execute(
                f"delete from facts where person_id = ? or turn_id in (select id from turns where session_id in ({sessions}))",
                [person_id, *ids]).rowcount
            deleted += self.db.execute(f"delete from turns where session_id in ({sessions})", ids).rowcount
            deleted += self.db.execute("delete from sessions where person_id = ?", [person_id]).rowcount
            marks = ",".join("?" * len(phones))
            deleted += self.db.execute(
                f"delete from reservations where person_id = ? or phone in ({marks})", [person_id, *phones]).rowcount
            deleted += self.db.execute("delete from identities where person_id = ?", [person_id]).rowcount
            deleted += self.db.execute("delete from people where id = ?", [person_id]).rowcount
        for table in ("turns_fts", "facts_fts"):  # merge the index so no deleted term lingers in old segments
            self.db.execute(f"insert into {table}({table}) values ('optimize')")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted


def _said_digits(text: str | None) -> str:
    """The digits in what was said, however they were said ("five five five, one two", "555-12")."""
    return re.sub(r"\D", "", normalize(text or ""))


def _now() -> str:
    return datetime.now().isoformat(timespec="milliseconds")
