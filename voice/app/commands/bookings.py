"""`parley bookings [--day DATE] [--json]`: the restaurant's bookings for a day, and the calls that need a person."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from parley.configs.files import ConfigError
from parley.dialogue.domain import load_domain
from parley.memory.db import default_db_path, open_db
from parley.memory.staff_view import day_sheet
from parley.voice.app.settings import Config


def main(config: Config, db: Path | None, day: str | None, as_json: bool) -> int:
    domain = load_domain(config.dialogue.domain or None)
    sheet = day_sheet(open_db(db or default_db_path()), domain, parse_day(day) if day else domain.now().date())
    print(json.dumps(sheet, indent=2) if as_json else render(sheet))
    return 0


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--day wants a date as YYYY-MM-DD, not {text!r}") from None


def render(sheet: dict) -> str:
    lines = [f"{sheet['restaurant']}, {sheet['day']}" + ("" if sheet["open"] else " (closed)"), ""]
    booked = [b for b in sheet["bookings"] if b["status"] == "booked"]
    lines += [f"{b['at']}  {b['party_size']:>2} people  {b['name']:<20} {b['phone']:<14} via {b['made_via']:<10}"
              + (f"  notes: {', '.join(b['notes'])}" if b["notes"] else "") + (f"  FLAG: {b['flag']}" if b["flag"] else "")
              for b in booked] or ["no bookings"]
    full = [slot["at"] for slot in sheet["slots"] if slot["free"] <= 0]
    lines += ["", f"fully booked at: {', '.join(full)}" if full else "a table is free at every seating"]
    if sheet["attention"]:
        lines += ["", "needs a person:"]
        lines += [f"  {_what(item)}: {item['reason']}" for item in sheet["attention"]]
    return "\n".join(lines)


def _what(item: dict) -> str:
    if "booking" in item:
        return f"booking {item['booking']} at {item['at']} ({item['name']})"
    who = item["name"] or item["phone"] or "an unknown caller"
    return f"call {item['call']} at {item['started'][11:16]} by {who} ({item['via']})"
