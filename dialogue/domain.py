"""The restaurant's definition (name, address, hours, tables), loaded from TOML."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from parley.configs.files import ConfigError, merge_tables, read_toml

NOW_VARIABLE = "PARLEY_NOW"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Domain:
    name: str
    address: str
    timezone: str
    hours: tuple[tuple[time, time] | None, ...]  # by weekday, Monday first; None when closed
    slot_minutes: int
    tables_per_slot: int
    seats_per_table: int
    days_ahead: int
    last_seating_minutes: int
    staff_line: str = ""  # where "can I speak to someone?" is put through on a phone line; "": nowhere
    phone_number: str = ""  # the number callers dial: picks this restaurant when one server answers for several
    date_order: str = "DMY"  # how "3/12" reads: DMY (3 December, as in Britain) or MDY (March 12th, as in the US)
    fixed_now: datetime | None = None  # PARLEY_NOW: a calendar that stands still (tests, demos), else the wall clock

    def now(self) -> datetime:
        """The restaurant's wall-clock time: "tomorrow" and "tonight" are its, not the server's."""
        if self.fixed_now:
            return self.fixed_now
        return datetime.now(ZoneInfo(self.timezone)).replace(tzinfo=None)

    def opening(self, day: date) -> tuple[time, time] | None:
        return self.hours[day.weekday()]

    def seating_times(self, day: date) -> list[time]:
        """Every time a table can start on `day`, earliest first."""
        hours = self.opening(day)
        if hours is None:
            return []
        start = datetime.combine(day, hours[0])
        last = datetime.combine(day, hours[1]) - timedelta(minutes=self.last_seating_minutes)
        times = []
        while start <= last:
            times.append(start.time())
            start += timedelta(minutes=self.slot_minutes)
        return times


def _date_order(order: str, where: str) -> str:
    if order not in ("DMY", "MDY"):
        raise ConfigError(f"{where}: restaurant.date_order is DMY (3/12 is 3 December) or MDY (3/12 is March 12th), not {order!r}")
    return order


def _zone(name: str, where: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: restaurant.timezone {name!r} is not a known time zone") from None
    return name


def load_domain(path: Path | str | None = None) -> Domain:
    """The packaged restaurant, or the one at `path` (its keys checked against the packaged one)."""
    table = read_toml(resources.files("parley.configs") / "restaurant.toml")
    source = "restaurant.toml"
    if path:
        source = str(path)
        merge_tables(table, read_toml(Path(path)), source)
    booking = table["booking"]
    return Domain(
        name=table["restaurant"]["name"],
        address=table["restaurant"]["address"],
        timezone=_zone(table["restaurant"]["timezone"], source),
        hours=tuple(_hours(table["hours"][day], f"{source}: hours.{day}") for day in WEEKDAYS),
        slot_minutes=booking["slot_minutes"],
        tables_per_slot=booking["tables_per_slot"],
        seats_per_table=booking["seats_per_table"],
        days_ahead=booking["days_ahead"],
        last_seating_minutes=booking["last_seating_minutes"],
        staff_line=table["phone"]["staff"].strip(),
        phone_number=table["phone"]["number"].strip(),
        date_order=_date_order(table["restaurant"]["date_order"], source),
        fixed_now=fixed_now(os.environ.get(NOW_VARIABLE, "")),
    )


def fixed_now(text: str) -> datetime | None:
    """PARLEY_NOW's time (the restaurant's local time, "2026-11-28T15:00"), or None when unset."""
    if not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=None)
    except ValueError:
        raise ConfigError(f"{NOW_VARIABLE}: expected a date and time like 2026-11-28T15:00, got {text!r}") from None


def _hours(text: str, where: str) -> tuple[time, time] | None:
    if not text.strip():
        return None
    try:
        opens, closes = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ConfigError(f"{where}: expected \"HH:MM-HH:MM\" or \"\", got {text!r}") from None
    if closes <= opens:
        raise ConfigError(f"{where}: closes before it opens ({text!r})")
    return opens, closes
