"""Embedded understanding: intents, and numbers, dates, times, names and phones as people say them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

UNITS = {
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

INTENT_PATTERNS = (
    ("forget", r"\bforget (me|about me|everything)\b"),
    ("cancel", r"\b(cancel|call off)\b"),
    ("recall", r"\b(what did i (book|have)|my last (booking|reservation|visit)|booked last time)\b"),
    ("remember", r"\b(what do you (remember|know) about me|do you remember|what do you have on me)\b"),
    ("check", r"\b(do i have|have i got|check (on )?my|is my (booking|reservation|table))\b"),
    ("change", r"\b(change|move|modify|reschedule)\b"),
    ("hours", r"\b(open|opening|close|closing|hours)\b"),
    ("address", r"\b(address|where are you|where is|located|location|find you|directions)\b"),
    ("book", r"\b(book|reserve|reservation|table for|a table|get a table)\b"),
    ("help", r"\b(help|what can you do|options)\b"),
    ("repeat", r"\b(repeat|say that again|pardon|come again|what did you say)\b"),
    ("goodbye", r"\b(bye|goodbye|that's all|that is all|nothing else|that's everything|that's it)\b"),
    ("thanks", r"\b(thanks|thank you|cheers)\b"),
    ("yes", r"^(yes|yeah|yep|yup|sure|correct|right|ok|okay|perfect|great|please do|go ahead|sounds good|"
            r"that's right|that's correct|exactly|absolutely|of course)\b"),
    ("no", r"^(no|nope|nah|not quite|not really|wrong|that's wrong|actually)\b"),
    ("greeting", r"\b(hello|hi|hey|good (morning|afternoon|evening))\b"),
)

NOTE_PATTERNS = (
    r"\b(allergic to [a-z ]+?|[a-z]+ allergy|allergies?)\b(?=[,.!?]|$| and\b)",
    r"\b(high ?chair|wheelchair( access)?|birthday|anniversary|vegan|vegetarian|gluten[- ]free|"
    r"window (seat|table)|outside|terrace|quiet table|pram|dog)\b",
)
NAME_STOP = {"and", "my", "phone", "number", "please", "i", "for", "at", "on", "the", "is", "it", "but"}
NAME_TRIGGERS = r"(?:my name is|my name's|name is|name's|this is|it's under|under the name|under|call me|i am|i'm)"


@dataclass(frozen=True)
class Clock:
    hour: int
    minute: int = 0
    meridiem: str | None = None  # "am", "pm", or None when the caller did not say


@dataclass
class Understanding:
    """Everything found in one utterance; the dialogue manager decides what it means in context."""

    text: str
    intents: list[str] = field(default_factory=list)
    party_size: int | None = None
    day: date | None = None
    clock: Clock | None = None
    name: str | None = None
    phone: str | None = None
    notes: list[str] = field(default_factory=list)
    bare_number: int | None = None


def understand(text: str, today: date) -> Understanding:
    words = normalize(text)
    return Understanding(
        text=text,
        intents=[name for name, pattern in INTENT_PATTERNS if re.search(pattern, words)],
        party_size=party_size(words),
        day=parse_day(words, today),
        clock=parse_clock(words),
        name=parse_name(text),
        phone=parse_phone(words),
        notes=parse_notes(words),
        bare_number=bare_number(words),
    )


def normalize(text: str) -> str:
    """Lower case, number words as digits, "p.m." as "pm", and punctuation that carries no meaning gone."""
    text = text.lower().replace("p.m.", "pm").replace("a.m.", "am").replace("’", "'")
    text = re.sub(r"(\d)(am|pm)\b", r"\1 \2", text)
    text = re.sub(r"\bdouble (\w+)", r"\1 \1", text)
    text = re.sub(r"\bfor for\b", "for four", text)  # Whisper's homophone for "a table for four"
    text = re.sub(r"[^\w\s:.'/-]|(?<!\d)[.:/-]|[.:/-](?!\d)", " ", text)
    tokens = text.split()
    out: list[str] = []
    for i, token in enumerate(tokens):
        if token in TENS and i + 1 < len(tokens) and tokens[i + 1] in UNITS and 0 < UNITS[tokens[i + 1]] < 10:
            out.append(str(TENS[token] + UNITS[tokens[i + 1]]))
            tokens[i + 1] = ""
        elif token in TENS and i + 1 < len(tokens) and tokens[i + 1] in ORDINALS and ORDINALS[tokens[i + 1]] < 10:
            out.append(f"{TENS[token] + ORDINALS[tokens[i + 1]]}th")
            tokens[i + 1] = ""
        elif token == "oh" and not _near_digits(tokens, i):
            out.append(token)
        elif token in UNITS or token in TENS:
            out.append(str(UNITS.get(token, TENS.get(token))))
        elif token in ORDINALS:
            out.append(f"{ORDINALS[token]}th")
        elif token:
            out.append(re.sub(r"^(\d+)(st|nd|rd|th)$", r"\1th", token))
    return " ".join(out)


def _near_digits(tokens: list[str], i: int) -> bool:
    neighbours = tokens[max(0, i - 1) : i] + tokens[i + 1 : i + 2]
    return any(t in UNITS or t.isdigit() for t in neighbours)


def party_size(words: str) -> int | None:
    if re.search(r"\b(just me|only me|myself|on my own|by myself|just one)\b", words):
        return 1
    if re.search(r"\b(a couple|the 2 of us|my (wife|husband|partner) and (i|me))\b", words):
        return 2
    for pattern in (
        r"\b(?:table|party|booking|reservation|book|room) for (\d{1,2})\b(?! ?(?:am|pm|o'clock|:|\.\d|\d{2}\b))",
        r"\b(\d{1,2}) (?:people|persons|person|guests|adults|diners|pax)\b",
        r"\b(?:the|are|be|all) (\d{1,2}) of us\b",
        r"\b(?:we are|we're|there are|there will be|there'll be) (\d{1,2})\b",
        r"^for (\d{1,2})\b(?! ?(?:am|pm|o'clock|:|\d{2}\b))",
        r"\bfor (\d{1,2})$",
    ):
        if match := re.search(pattern, words):
            return int(match.group(1))
    return None


def parse_day(words: str, today: date) -> date | None:
    if re.search(r"\b(today|tonight|this evening)\b", words):
        return today
    if re.search(r"\bday after tomorrow\b", words):
        return today + timedelta(days=2)
    if re.search(r"\btomorrow\b", words):
        return today + timedelta(days=1)
    month_names = "|".join(MONTHS)
    for pattern, month_group, day_group in (
        (rf"\b({month_names}) (?:the )?(\d{{1,2}})(?:th)?\b", 1, 2),
        (rf"\b(?:the )?(\d{{1,2}})(?:th)? (?:of )?({month_names})\b", 2, 1),
    ):
        if match := re.search(pattern, words):
            return _month_date(today, MONTHS.index(match.group(month_group)) + 1, int(match.group(day_group)))
    if match := re.search(r"\bthe (\d{1,2})th\b", words):  # a date said outright beats its weekday
        return _next_date(today, today.month, int(match.group(1)))
    if match := re.search(r"\b(next )?(" + "|".join(WEEKDAYS) + r")\b", words):
        ahead = (WEEKDAYS.index(match.group(2)) - today.weekday()) % 7
        return today + timedelta(days=ahead or (7 if match.group(1) else 0))
    return None


def _month_date(today: date, month: int, day: int) -> date | None:
    """A date with its month named: this year's, unless it is long gone (then next year's).

    A date a few weeks past is kept, so the caller hears that it has passed rather than
    getting a booking a year later.
    """
    try:
        this_year = date(today.year, month, day)
    except ValueError:
        return None
    if (today - this_year).days > 31:
        return _next_date(today.replace(day=1, month=1, year=today.year + 1), month, day)
    return this_year


def _next_date(today: date, month: int, day: int) -> date | None:
    """The first such date from today on: later this month, else next month or next year."""
    for year, m in ((today.year, month), (today.year, month + 1), (today.year + 1, month)):
        year, m = (year + 1, 1) if m == 13 else (year, m)
        try:
            candidate = date(year, m, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def parse_clock(words: str) -> Clock | None:
    if re.search(r"\b(noon|midday|lunchtime)\b", words):
        return Clock(12, 0, "pm")
    meridiem = r"(?: ?(am|pm|in the evening|in the morning|tonight))?"
    patterns: tuple[tuple[str, Callable[..., tuple[int, int]] | None], ...] = (
        (rf"\bhalf past (\d{{1,2}}){meridiem}", lambda h, m=None: (int(h), 30)),
        (rf"\bquarter past (\d{{1,2}}){meridiem}", lambda h, m=None: (int(h), 15)),
        (rf"\bquarter to (\d{{1,2}}){meridiem}", lambda h, m=None: (int(h) - 1, 45)),
        (rf"\b(\d{{1,2}})[:.](\d{{2}}){meridiem}", lambda h, m: (int(h), int(m))),
        (rf"\b(?:at|around|about|for|by) (\d{{1,2}})(\d{{2}}){meridiem}\b", lambda h, m: (int(h), int(m))),
        (rf"\b(\d{{1,2}}) ([1-5][05]){meridiem}\b", lambda h, m: (int(h), int(m))),
        (rf"\b(\d{{1,2}}) ?o'?clock{meridiem}", lambda h, m=None: (int(h), 0)),
        (r"\b(\d{1,2}) ?(am|pm)\b", None),
        (rf"\b(?:at|around|about|by) (\d{{1,2}}){meridiem}\b(?! (?:people|of us|guests|persons))", None),
    )
    for pattern, convert in patterns:
        match = re.search(pattern, words)
        if not match:
            continue
        groups = [g for g in match.groups()]
        said = groups[-1] if groups[-1] and not groups[-1].isdigit() else None
        numbers = [g for g in groups if g and g.isdigit()]
        hour, minute = convert(*numbers) if convert else (int(numbers[0]), 0)
        if 0 <= hour <= 23 and 0 <= minute <= 59:
            return Clock(hour, minute, _meridiem(said))
    return None


def _meridiem(said: str | None) -> str | None:
    if said in ("pm", "in the evening", "tonight"):
        return "pm"
    if said in ("am", "in the morning"):
        return "am"
    return None


def parse_name(text: str) -> str | None:
    match = re.search(rf"\b{NAME_TRIGGERS}\s+([A-Za-z][A-Za-z'\- ]*)", text, flags=re.IGNORECASE)
    if not match:
        return None
    return name_from_words(match.group(1))


def name_from_words(text: str) -> str | None:
    """Up to three words that look like a name, capitalized; None if there are none."""
    words: list[str] = []
    for word in re.findall(r"[A-Za-z][A-Za-z'\-]*", text):
        if word.lower() in NAME_STOP or word.lower() in UNITS or len(words) == 3:
            break
        words.append(word[0].upper() + word[1:])
    if not words or words[0].lower() in ("allergic", "calling", "looking", "here", "not", "sorry", "just"):
        return None
    return " ".join(words)


def parse_phone(words: str) -> str | None:
    """Digits read out one by one, in groups, or as Whisper writes them ("555-1234")."""
    runs = re.findall(r"(?:\+?\d[\d -]*\d)", words)
    digits = max((re.sub(r"\D", "", run) for run in runs), key=len, default="")
    return digits if 6 <= len(digits) <= 15 else None


def parse_notes(words: str) -> list[str]:
    notes = []
    for pattern in NOTE_PATTERNS:
        notes += [match.group(0).strip() for match in re.finditer(pattern, words)]
    return notes


def bare_number(words: str) -> int | None:
    """The number in a short answer such as "five", "make it 6" or "4 please"."""
    match = re.fullmatch(r"(?:(?:no|actually|sorry|make it|change it to|let's say|say|it's|uh|um)\s*)*"
                         r"(\d{1,2})(?: please| instead| then| people)?", words.strip())
    return int(match.group(1)) if match else None
