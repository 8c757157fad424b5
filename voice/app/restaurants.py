"""The restaurants one server answers for: the configured one, or a folder of restaurant files, each
with its own SQLite file, reached at /r/ID/ (and on the phone by the number it was called on)."""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from parley.configs.files import ConfigError
from parley.dialogue.domain import Domain, load_domain
from parley.dialogue.types import StoreError
from parley.memory.backup import damage, way_back
from parley.memory.db import default_db_path
from parley.voice.app.settings import Config

log = logging.getLogger(__name__)
ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class Restaurant:
    id: str  # "" for a server with one restaurant
    config: Config  # the server's, its dialogue.domain this restaurant's file
    db: Path | None  # its own memory: nothing is shared with another restaurant
    domain: Domain
    damaged: str = ""  # why its database is refused (named, with the way back), "" when it is whole


def load_restaurants(config: Config, db: Path | None) -> dict[str, Restaurant]:
    """By id. With `[server] restaurants` unset, the one restaurant of the config at `db`; set to a
    folder, each `ID.toml` in it, its database `ID.db` beside `db` (or in the data directory). Each
    database is checked: a damaged one's restaurant is refused (`damaged`) and the others answer;
    StoreError when none is whole."""
    restaurants = configured_restaurants(config, db)
    if not config.server.replica:  # a cluster worker replaces its copy from the replica on the first call
        restaurants = {key: checked(restaurant) for key, restaurant in restaurants.items()}
    damaged = [restaurant.damaged for restaurant in restaurants.values() if restaurant.damaged]
    for problem in damaged:
        log.error("%s", problem)
    if len(damaged) == len(restaurants):
        raise StoreError(damaged[0])  # nothing left to answer for: the server does not start
    return restaurants


def configured_restaurants(config: Config, db: Path | None) -> dict[str, Restaurant]:
    """By id, as configured, their databases not yet checked."""
    folder = config.server.restaurants
    if not folder:
        return {"": Restaurant("", config, db, load_domain(config.dialogue.domain or None))}
    files = sorted(Path(folder).expanduser().glob("*.toml"))
    if not files:
        raise ConfigError(f"[server] restaurants: no ID.toml restaurant files in {folder}")
    bad = [file.name for file in files if not ID.match(file.stem)]
    if bad:
        raise ConfigError(f"[server] restaurants: {bad[0]}: a restaurant's id (its file name) is 1-40 of a-z 0-9 _ -")
    home = (db or default_db_path()).parent
    return {file.stem: _restaurant(config, file, home) for file in files}


def _restaurant(config: Config, file: Path, home: Path) -> Restaurant:
    mine = dataclasses.replace(config, dialogue=dataclasses.replace(config.dialogue, domain=str(file)))
    return Restaurant(file.stem, mine, home / f"{file.stem}.db", load_domain(file))


def checked(restaurant: Restaurant) -> Restaurant:
    """The restaurant, `damaged` saying why its database is refused when it is (an absent one is not)."""
    path = restaurant.db or default_db_path()
    problem = damage(path) if path.exists() else ""
    return dataclasses.replace(restaurant, damaged=way_back(path, problem)) if problem else restaurant


def by_number(restaurants: dict[str, Restaurant], called: str) -> Restaurant | None:
    """The restaurant a phone call is for: the one whose `[phone] number` was dialled; with one
    restaurant, that one whatever the number."""
    if list(restaurants) == [""]:
        return restaurants[""]
    digits = re.sub(r"\D", "", called)
    return next((r for r in restaurants.values() if digits and re.sub(r"\D", "", r.domain.phone_number) == digits), None)
