"""The eval's caller repairs as a person would: answers the question Parley asked, says a line again,
or corrects a wrong read-back, in words of its own; bounded, so a call that cannot be repaired ends."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time

from parley.dialogue import phrases
from parley.dialogue.domain import WEEKDAYS

DIGIT_WORDS = ["oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
AFFIRMATION = re.compile(r"^(yes|yeah|sure|perfect|that's right|great|ok)\b", re.IGNORECASE)
MAX_REPAIRS_PER_LINE = 3  # a patient caller: a name corrected twice, then spelled when asked
FIELDS = ("party_size", "day", "at", "name", "phone")


@dataclass(frozen=True)
class Want:
    """The booking the caller wants, as the scenario states it (`bookings` in scenarios.toml)."""

    fields: dict
    today: date

    def read_back_errors(self, reply: str) -> list[str]:
        """The details a read-back got wrong: each wanted one must be said as Parley says it."""
        said = reply.lower()
        return [field for field in FIELDS if field in self.fields and self._as_parley_says(field) not in said]

    def correction(self, field: str) -> str:
        answer = self.answer(field)
        return "No, " + answer[0].lower() + answer[1:]

    def answer(self, field: str, spell: bool = False) -> str:
        """A detail said the way a caller says it; a name spelled out when asked to spell it."""
        value = self.fields[field]
        if field == "name" and spell:
            return ". ".join(", ".join(word.upper()) for word in value.split()) + "."
        if field == "party_size":
            return f"We are {value} people."
        if field == "day":
            day = date.fromisoformat(value)
            return f"{WEEKDAYS[day.weekday()].capitalize()} the {phrases.ordinal(day.day)}."
        if field == "at":
            return f"At {phrases.clock(time.fromisoformat(value))}."
        if field == "name":
            return f"The name is {value}."
        return f"My number is {spoken_digits(value)}."

    def _as_parley_says(self, field: str) -> str:
        value = self.fields[field]
        if field == "party_size":
            return "1 person" if value == 1 else f"{value} people"
        if field == "day":
            return phrases.day(date.fromisoformat(value), self.today).lower()
        if field == "at":
            return phrases.clock(time.fromisoformat(value)).lower()
        if field == "phone":
            return " ".join(value)
        return str(value).lower()


def spoken_digits(digits: str) -> str:
    """A phone number as people read it: digit words in groups (3-4, 3-3-4, 5-3-3), "oh" for zero."""
    sizes = {7: (3, 4), 10: (3, 3, 4), 11: (5, 3, 3)}.get(len(digits), (3,) * (len(digits) // 3 + 1))
    groups, at = [], 0
    for size in sizes:
        if at < len(digits):
            groups.append(" ".join(DIGIT_WORDS[int(d)] for d in digits[at : at + size]))
            at += size
    return ", ".join(groups)


# What a question for each detail mentions: Parley's questions vary ("Could I have a phone number?",
# "I heard 8 digits. Could you say the number again?"), their subjects do not.
ASKED_WORDS = {"party_size": r"how many|number of guests|table for two\?", "phone": r"\bnumber\b|\bdigits?\b",
               "name": r"\bname\b|\bspell\b", "day": r"\bday\b|\bdate\b",
               "at": r"\btime\b"}  # in this order: the first found is what is asked


def asked_for(reply: str) -> str | None:
    """The detail the last question in Parley's reply asks for, if it asks for one; the detail that
    was asked for wins over one it mentions ("the number again, one digit at a time")."""
    question = reply.rstrip().rsplit(".", 1)[-1] if reply.rstrip().endswith("?") else reply
    found = [field for field, words in ASKED_WORDS.items() if re.search(words, question, re.IGNORECASE)]
    return found[0] if found else None  # "the number, one digit at a time": the number


def is_affirmation(text: str) -> bool:
    return bool(AFFIRMATION.match(text.strip()))


def repair(reply: str, line: str, pattern: str, next_line: str | None, want: Want | None,
           check_read_back: bool) -> str | None:
    """What the caller says next instead of their next line, if anything: a correction of a read-back
    they are about to accept, the answer to a question Parley asked, or the same line again."""
    if want and check_read_back and phrases.READ_BACK in reply and next_line and is_affirmation(next_line):
        wrong = want.read_back_errors(reply)
        if wrong:
            return want.correction(wrong[0])
    if re.search(pattern, reply, re.IGNORECASE):
        return None
    field = asked_for(reply)
    if want and field is not None and field in want.fields:
        return want.answer(field, spell="spell" in reply.lower())
    return line
