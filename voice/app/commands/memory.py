"""`parley memory show|export|forget --user X`: what Parley remembers about someone, and forgetting it;
`backup`, `restore` and `check` of the database itself."""

from __future__ import annotations

import json
from pathlib import Path

from parley.configs.files import ConfigError
from parley.memory.backup import backup, restore
from parley.memory.db import default_db_path, open_db
from parley.memory.people import Memory
from parley.voice.app.restaurants import checked, configured_restaurants
from parley.voice.app.settings import Config


class UnknownPerson(LookupError):
    pass


def main(action: str, db: Path | None, user: str | None, file: Path | None = None) -> int:
    database = db or default_db_path()
    if action in ("backup", "restore"):
        return copy(action, database, file)
    if not user:
        raise UnknownPerson("say whose memory with --user NAME (a --user name, a phone number or a name)")
    memory = Memory(open_db(database))
    person = memory.lookup(user)
    if person is None:
        raise UnknownPerson(f"nobody known as {user!r}")
    if action == "export":
        print(json.dumps(memory.export(person.id), indent=2))
    elif action == "forget":
        deleted = memory.forget(person.id)
        print(f"forgot {user}: {deleted} rows deleted")
    else:
        print(show(memory.export(person.id)))
    return 0


def check(config: Config, db: Path | None) -> int:
    """`parley memory check`: SQLite's integrity check on the database, or on each restaurant's with
    `[server] restaurants`; 1 when any is damaged, with the way back."""
    damaged = 0
    for restaurant in map(checked, configured_restaurants(config, db).values()):
        path = restaurant.db or default_db_path()
        damaged += bool(restaurant.damaged)
        print(restaurant.damaged or f"{path}: {'whole' if path.exists() else 'not there yet (its first call makes it)'}")
    return 1 if damaged else 0


def copy(action: str, database: Path, file: Path | None) -> int:
    if file is None:
        raise ConfigError("parley memory backup --out FILE, or parley memory restore FILE")
    if action == "backup":
        backup(database, file)
        print(f"backed up {database} to {file}")
    else:
        restore(file, database)
        print(f"restored {database} from {file}")
    return 0


def show(record: dict) -> str:
    person = record["person"]
    lines = [f"{person['name'] or '(no name yet)'}, known since {person['created'][:10]}"]
    lines += [f"  {i['kind']}: {i['value']}" for i in record["identities"]]
    lines += [f"  fact: {f['key']} = {f['value']} (last confirmed {f['confirmed'][:10]})" for f in record["facts"]]
    lines += [f"  booking: {r['party_size']} people on {r['day']} at {r['at']} ({r['status']})"
              for r in record["reservations"]]
    turns = sum(len(s["turns"]) for s in record["sessions"])
    lines.append(f"  {len(record['sessions'])} sessions, {turns} turns")
    return "\n".join(lines)
