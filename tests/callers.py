"""Typed callers who answer what Parley asks (tests/data/callers_*.toml), scored per class of call.

Each call says its opening line, then answers the question Parley asked last with its own words for
that detail (a list: one answer per time it is asked, the last one repeated), as a person on the
phone would, whatever the order of the questions. `python -m tests.callers` prints, per split and
per class: booked right, a wrong detail booked, and calls that never ended.
"""

from __future__ import annotations

import asyncio
import re
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from parley.dialogue import phrases
from parley.dialogue.domain import load_domain
from parley.dialogue.reservation_brain import ReservationBrain
from parley.memory.db import open_db
from parley.memory.reservations import ReservationStore
from parley.voice.app.measure.repair import asked_for

DATA = Path(__file__).parent / "data"
SPLITS = {"development": DATA / "callers_dev.toml", "held out": DATA / "callers_heldout.toml"}
MAX_TURNS = 16  # a call still going after this many caller turns is a dead end
OPENERS = tuple(phrases.SORRY) + ("Good.", "No problem.", "Sure,", "Let's try it another way:")


@dataclass
class Script:
    kind: str
    opening: str
    answers: dict[str, list[str]]  # by detail asked: party_size, day, at, name, phone, confirm, offer
    expect: dict
    flag: str = ""
    region: str = ""  # the restaurant's date order: "MDY" reads 3/1 as March 1st
    asked: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def next_line(self, reply: str) -> str:
        kind = _question_kind(reply)
        answers = self.answers.get(kind) or DEFAULTS.get(kind) or [self.opening]  # asked again: said again
        self.asked[kind] += 1
        return answers[min(self.asked[kind], len(answers)) - 1]


DEFAULTS = {"confirm": ["Yes."], "offer": ["The first one."], "else": ["No, that's all, thanks."]}


def _question_kind(reply: str) -> str:
    lower = reply.lower()
    if "shall i go ahead" in lower or "shall i book" in lower:
        return "confirm"
    if "anything else" in lower:
        return "else"
    if "could offer" in lower or "which would you like" in lower:
        return "offer"
    return asked_for(reply) or "other"


def load(path: Path) -> list[Script]:
    calls = tomllib.loads(path.read_text())["call"]
    return [Script(c["class"], c["open"], {k: _listed(v) for k, v in c.get("answers", {}).items()}, c["expect"],
                   c.get("flag", ""), c.get("region", "")) for c in calls]


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


@dataclass
class Outcome:
    booked: list[dict]
    replies: list[str]
    lines: list[str]

    def transcript(self) -> str:
        return "\n".join(f"caller: {line}\nparley: {reply}" for line, reply in zip(self.lines, self.replies))


NOW = datetime(2026, 11, 28, 15, 0)  # a Saturday


def run(script: Script, db: Path) -> Outcome:
    domain = load_domain()
    if script.region:
        domain = replace(domain, date_order=script.region)
    store = ReservationStore(open_db(db), domain.tables_per_slot)
    brain = ReservationBrain(domain, store, clock=lambda: NOW)
    lines, replies = asyncio.run(_converse(brain, script))
    return Outcome(list(store.table.rows_where("status = 'booked'")), replies, lines)


async def _converse(brain: ReservationBrain, script: Script) -> tuple[list[str], list[str]]:
    lines, replies, line = [], [], script.opening
    while len(lines) < MAX_TURNS and not brain.ended:
        reply = "".join([part async for part in brain.reply(line)]).strip()
        lines.append(line)
        replies.append(reply)
        line = script.next_line(reply)
    return lines, replies


def question(reply: str) -> str:
    """A reply's last sentence without what opens it ("Sorry, I missed that."): the request itself;
    a read-back is the whole of it (read back with another detail, it is another request)."""
    if phrases.READ_BACK in reply:
        return reply[reply.index(phrases.READ_BACK):].lower()
    last = re.split(r"(?<=[.?!])\s+", reply.strip())[-1]
    for opener in OPENERS:
        last = last.removeprefix(opener).strip()
    return last.lower()


def longest_repeat(replies: list[str]) -> int:
    """The most times in a row one request was made, however it was opened."""
    asked = [question(reply) for reply in replies]
    longest = run_length = 1
    for before, after in zip(asked, asked[1:]):
        run_length = run_length + 1 if after == before else 1
        longest = max(longest, run_length)
    return longest


def verdict(script: Script, outcome: Outcome) -> str:
    """right, wrong detail, not booked (the call ended without it) or dead end (it never ended)."""
    if len(outcome.booked) != 1:
        return "dead end" if len(outcome.lines) >= MAX_TURNS else "not booked"
    row = outcome.booked[0]
    if any(str(row[key]) != str(value) for key, value in script.expect.items()):
        return "wrong detail"
    if script.flag and script.flag not in (row.get("flag") or ""):
        return "not flagged"
    return "right"


def report(paths: dict[str, Path], tmp: Path, verbose: bool = False) -> None:
    for split, path in paths.items():
        by_class: dict[str, list[str]] = defaultdict(list)
        for n, script in enumerate(load(path)):
            outcome = run(script, tmp / f"{split[0]}{n}.db")
            result = verdict(script, outcome)
            by_class[script.kind].append(result)
            if verbose and result != "right":
                print(f"--- {split} #{n} {script.kind}: {result}\n{outcome.transcript()}\n")
        results = [r for rs in by_class.values() for r in rs]
        print(f"{split}: {results.count('right')}/{len(results)} right, {results.count('wrong detail')} wrong detail, "
              f"{results.count('dead end')} dead ends")
        for kind, rs in sorted(by_class.items()):
            print(f"  {kind:40} {rs.count('right')}/{len(rs)}  {', '.join(sorted(set(rs) - {'right'}))}")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        report(SPLITS, Path(scratch), verbose="-v" in sys.argv)
