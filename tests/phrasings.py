"""The phrasing corpus: caller turns labelled with what they mean, and how well the NLU reads them.

`python -m tests.phrasings` prints accuracy per slot and per dialogue act on both splits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from parley.dialogue.nlu import Understanding, understand

TODAY = date(2026, 11, 28)  # a Saturday
DATA = Path(__file__).parent / "data"
SPLITS = {"development": DATA / "phrasings_dev.txt", "held out": DATA / "phrasings_heldout.txt"}
SLOTS = ("party", "day", "time", "name", "phone")


@dataclass
class Turn:
    asked: str
    text: str
    meaning: dict[str, str]


def load(path: Path) -> list[Turn]:
    turns = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            asked, text, labels = (part.strip() for part in line.split("|"))
            meaning = dict(label.split("=", 1) for label in labels.split())
            turns.append(Turn(asked, text, {k: v.replace("_", " ") for k, v in meaning.items()}))
    return turns


def read(turn: Turn) -> dict[str, str]:
    """What the NLU makes of a turn, in the corpus's terms (a slot it did not find is absent)."""
    u = understand(turn.text, TODAY, asked=None if turn.asked == "none" else turn.asked)
    return {key: value for key, value in _slots(u).items() if value is not None}


def _slots(u: Understanding) -> dict[str, str | None]:
    clock = f"{u.clock.hour % 12 or 12}:{u.clock.minute:02d}" if u.clock else None
    return {"party": str(u.party_size) if u.party_size else None, "day": u.day.isoformat() if u.day else None,
            "time": clock, "name": u.name, "phone": u.phone, "act": u.act}


def score(turns: list[Turn]) -> dict[str, tuple[int, int]]:
    """Per slot and per act: (right, of). A slot counts where it is labelled or wrongly found; an
    act counts on the turns labelled with it."""
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for turn in turns:
        found = read(turn)
        for slot in SLOTS:
            if slot in turn.meaning or slot in found:
                tally[slot][0] += turn.meaning.get(slot) == found.get(slot)
                tally[slot][1] += 1
        act = f"act: {turn.meaning['act']}"
        tally[act][0] += turn.meaning["act"] == found.get("act")
        tally[act][1] += 1
    tally["whole turn"] = [sum(read(t) == t.meaning for t in turns), len(turns)]
    return {key: (right, of) for key, (right, of) in sorted(tally.items())}


def failures(turns: list[Turn]) -> list[str]:
    return [f"{t.asked} | {t.text} | want {t.meaning} got {read(t)}" for t in turns if read(t) != t.meaning]


def table() -> str:
    scores = {name: score(load(path)) for name, path in SPLITS.items()}
    rows = ["| | " + " | ".join(scores) + " |", "| --- |" + " --- |" * len(scores)]
    for key in scores["development"]:
        cells = [f"{right / of:.0%} ({right}/{of})" if of else "-" for right, of in
                 (split.get(key, (0, 0)) for split in scores.values())]
        rows.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
