"""The phrasing corpus read by maintained parsers instead of Parley's rules: days and times by
dateparser and by Microsoft's Recognizers-Text, number words by text2num.

Not a dependency: `pip install dateparser text2num recognizers-text-suite` into a scratch
environment with Parley installed, then `python -m tests.parsers_compared`.
"""

from __future__ import annotations

from datetime import datetime, time

from parley.dialogue import nlu
from tests.phrasings import SPLITS, TODAY, Turn, load

NOW = datetime.combine(TODAY, time(15, 0))


def by_dateparser(text: str) -> tuple[str | None, str | None]:
    from dateparser.search import search_dates

    found = search_dates(text, languages=["en"], settings={"RELATIVE_BASE": NOW, "PREFER_DATES_FROM": "future"})
    if not found:
        return None, None
    said, when = found[0]
    has_time = any(ch.isdigit() for ch in said) and (":" in said or "pm" in said or "am" in said) or "o'clock" in said
    return when.date().isoformat(), f"{when.hour % 12 or 12}:{when.minute:02d}" if has_time else None


def by_recognizers(text: str) -> tuple[str | None, str | None]:
    from recognizers_date_time import recognize_datetime
    from recognizers_text import Culture

    day = clock = None
    for result in recognize_datetime(text, Culture.English, reference=NOW):
        values = [v for v in (result.resolution or {}).get("values", []) if v.get("value") or v.get("start")]
        future = [v for v in values if (v.get("value") or v.get("start"))[:10] >= TODAY.isoformat()] or values
        for value in future[-1:]:  # a weekday resolves to last week's and next: the caller means the next
            kind, raw = value["type"], value.get("value") or value.get("start")
            if kind.startswith("date") and day is None and raw[:4].isdigit():
                day = raw[:10]
            if kind in ("time", "datetime") and clock is None:
                hour, minute = (int(x) for x in raw[-8:-3].split(":"))
                clock = f"{hour % 12 or 12}:{minute:02d}"
    return day, clock


def by_rules(text: str) -> tuple[str | None, str | None]:
    u = nlu.understand(text, TODAY)
    return (u.day.isoformat() if u.day else None,
            f"{u.clock.hour % 12 or 12}:{u.clock.minute:02d}" if u.clock else None)


def party_by_text2num(text: str) -> str | None:
    from text_to_num import alpha2digit

    words = nlu.normalize(alpha2digit(text, "en"))
    size = nlu.party_size(words)
    return str(size) if size else None


def accuracy(turns: list[Turn], read, label: str) -> str:
    counted = [t for t in turns if label in t.meaning or read(t.text)]
    right = sum(read(t.text) == t.meaning.get(label) for t in counted)
    return f"{right}/{len(counted)}"


def main() -> None:
    for split, path in SPLITS.items():
        turns = load(path)
        print(f"{split}:")
        for name, reader in (("rules", by_rules), ("dateparser", by_dateparser), ("recognizers", by_recognizers)):
            days = accuracy(turns, lambda text: reader(text)[0], "day")
            times = accuracy(turns, lambda text: reader(text)[1], "time")
            print(f"  {name:12} day {days:8} time {times}")
        rules_party = accuracy(turns, lambda text: str(nlu.party_size(nlu.normalize(text)) or "") or None, "party")
        print(f"  party size: rules {rules_party}, text2num then rules {accuracy(turns, party_by_text2num, 'party')}")


if __name__ == "__main__":
    main()
