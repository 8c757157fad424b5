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
    # "what did I do / put last time": Whisper's hearing of "book" when the question ends in "last time"
    ("recall", r"\b(what did i (book|have)|what did i \w+ last time|my last (booking|reservation|visit)|booked last time)\b"),
    ("remember", r"\b(what do you (remember|know) about me|do you remember|what do you have on me)\b"),
    ("check", r"\b(do i have|have i got|check (on )?my|is my (booking|reservation|table))\b"),
    ("change", r"\b(change|move|modify|reschedule)\b"),
    ("hours", r"\b(open|opening|close|closing|hours)\b"),
    ("address", r"\b(address|where are you|where is|located|location|find you|directions)\b"),
    ("book", r"\b(book|reserve|reservation|table for|a table|get a table)\b"),
    ("staff", r"\b(speak|talk) (to|with) (someone|somebody|a (person|human|real person|manager)|(a member of )?(the )?staff|the manager|a waiter)\b|\b(real person|human being|an operator|put me through)\b"),
    ("help", r"\b(help|what can you do|options)\b"),
    ("repeat", r"\b(repeat|say that again|pardon|come again|what did you say)\b"),
    ("goodbye", r"\b(bye|goodbye|that's all|that is all|nothing else|that's everything|that's it)\b"),
    ("thanks", r"\b(thanks|thank you|cheers)\b"),
    ("yes", r"^(yes|yeah|yep|yup|aye|sure|correct|right|ok|okay|perfect|great|lovely|brilliant|fine|please do|"
            r"go ahead|go for it|go on then|book it|sounds (good|great|perfect|right)|that works|that's fine|that is fine|"
            r"that's (perfect|great|lovely|brilliant|grand|spot on|all correct|all right|it)|spot on|grand|smashing|"
            r"that sounds (good|great|perfect|right)|do it|yes please|"
            r"that'd be great|that would be great|all good|uh huh|mm hmm|that's right|that's correct|exactly|"
            r"absolutely|of course)\b"),
    ("no", r"^(no|nope|nah|not quite|not really|wrong|that's wrong|that's not right|actually|never ?mind|"
           r"forget it)\b"),
    ("greeting", r"\b(hello|hi|hey|good (morning|afternoon|evening))\b"),
)

NOTE_PATTERNS = (
    r"\b(allergic to [a-z ]+?|[a-z]+ allergy|allergies?)\b(?=[,.!?]|$| and\b)",
    r"\b(high ?chair|wheelchair( access)?|birthday|anniversary|vegan|vegetarian|gluten[- ]free|"
    r"window (seat|table)|table by the window|outside|terrace|quiet table|pram|dog)\b",
)
NAME_STOP = {"with", "and", "my", "phone", "number", "please", "i", "for", "at", "on", "the", "is", "it", "but", "thanks", "under",
             "thank", "tonight", "today", "tomorrow"}
NAME_TRIGGERS = (r"(?:my name is|my name's|name is|name's|this is|it's under|under the name of|under the name|under|"
                 r"call me|call it|put it down as|i am|i'm|(?:booking|reservation|table) is for|reservation for|, name(?! is\b))")
# Words that open an answer without being part of it ("Yeah, it's Grace", "Oh, Mr Brown").
ANSWER_OPENERS = re.compile(r"^(?:(?:yes|yeah|yep|sure|ok|okay|oh|um|uh|er|erm|ah|hmm|mm|so|well|right|hi|hello|it's|its|it is|"
                            r"it'll be|that's|that is|the name is|name is|mr|mrs|ms|miss|dr|of|a|an)\b[\s,.]*)+",
                            re.IGNORECASE)
# Words that are never a name, whatever was asked: answers, numbers, days, months.
NOT_NAMES = {"yes", "yeah", "yep", "no", "nope", "ok", "okay", "sure", "fine", "great", "perfect", "lovely",
             "thanks", "hello", "hi", "sorry", "um", "uh", "ah", "er", "erm", "hmm", "mm", "actually", "table", "party", "people", "lunch",
             "dinner", "noon", "midday", "half", "quarter", "around", "about", "o'clock", "pm", "am", "afraid",
             "calling", "ringing", "looking", "hoping", "wondering", "trying", "after", "here", "not", "just",
             "probably", "maybe", "perhaps", "roughly", "only", "number", "mobile", "phone", "time", "date",
             "day", "name", "size", "digits", "last", "first", "good", "morning", "afternoon", "evening"}
ASK = re.compile(r"^(?:\w+ )?(?:do you|have you|is there|are there|any chance|got any|what|where|when|how|"
                 r"could you tell)\b|\bdo you (?:have|do)\b")
CORRECTION = re.compile(r"^(?:no|nope|not|actually|sorry|wait|hmm|change it|can we|could we|make it)\b|\binstead\b|"
                        r"\bi meant\b|\bwould be better\b")
TASK_INTENTS = {"book", "cancel", "change", "check", "recall", "remember", "forget", "hours", "address"}


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
    phone_part: tuple[str, str] | None = None  # ("first" or "last", digits): part of a number corrected
    act: str = "inform"  # inform, affirm, deny, correct, ask, greet, bye or thank

    def details(self) -> bool:
        return any(v is not None for v in (self.party_size, self.day, self.clock, self.name, self.phone))


def understand(text: str, today: date, asked: str | None = None, date_order: str = "DMY") -> Understanding:
    """What `text` says; `asked` is the detail just asked for (party_size, day, at, name, phone), so
    that a bare answer ("Six.", "Eight.", "Grace.") is read as the answer to it; `date_order` is how
    the restaurant's callers write a date in figures (DMY: 3/12 is the 3rd of December; MDY: March 12th)."""
    words = normalize(text)
    part = phone_part(words)
    said = "" if part else without_negated(words)  # the digits of a number's part are no other detail
    u = Understanding(
        text=text,
        intents=[name for name, pattern in INTENT_PATTERNS if re.search(pattern, words)],
        party_size=party_size(said),
        day=parse_day(said, today, date_order),
        clock=parse_clock(said),
        name=spelled_as_said(parse_name(text), words),
        phone=parse_phone(said),
        notes=parse_notes(words),
        bare_number=bare_number(said),
        phone_part=part,
    )
    _answer_to(u, asked)
    u.act = dialogue_act(u, words, asked)
    return u


def _answer_to(u: Understanding, asked: str | None) -> None:
    """A bare answer is the detail that was asked for."""
    if asked == "party_size" and u.party_size is None and u.bare_number:
        u.party_size = u.bare_number
    elif asked == "at" and u.clock is None and u.bare_number and u.bare_number <= 23:
        u.clock = Clock(u.bare_number)
    elif asked == "name" and (spelled := spelled_name(u.text)):
        u.name = spelled
    elif (asked == "name" or asked in ("correction", "phone_lookup") and not u.details() and not u.phone_part) \
            and u.name is None \
            and len(re.split(r"[,.!?]", u.text)[0].split()) <= 5 and not u.text.rstrip().endswith("?"):
        u.name = spelled_as_said(name_from_words(u.text), normalize(u.text))  # "What should I change?" "It's Lopez"
    elif asked == "confirm" and u.name is None and re.search(r"\bwith an? (?:double u|\w+)[.!]?$", u.text.lower()):
        u.name = spelled_as_said(name_from_words(u.text), normalize(u.text))  # a read-back's name, its letter said


def dialogue_act(u: Understanding, words: str, asked: str | None) -> str:
    """What the turn does: answers, agrees, refuses, corrects what was proposed, asks, or is a courtesy."""
    details, intents = u.details() or u.phone_part is not None, set(u.intents)
    proposed = asked is not None and asked not in SLOT_QUESTIONS  # Parley had proposed something
    if details and proposed and CORRECTION.search(words):
        return "correct"
    if "no" in intents:
        return "correct" if details else "deny"
    answered = asked in SLOT_QUESTIONS and getattr(u, SLOT_FIELDS[asked or ""]) is not None
    if "yes" in intents and not answered and (proposed or not intents & TASK_INTENTS):
        return "affirm"  # "Yes, 8 is fine" to "Can I take a name?" agrees; it does not answer
    if ASK.search(words):
        return "ask"
    if not details and not intents & TASK_INTENTS:
        for intent, act in (("goodbye", "bye"), ("thanks", "thank"), ("greeting", "greet")):
            if intent in intents:
                return act
    return "inform"


SLOT_FIELDS = {"party_size": "party_size", "day": "day", "at": "clock", "name": "name", "phone": "phone"}
SLOT_QUESTIONS = set(SLOT_FIELDS)


def normalize(text: str) -> str:
    """Lower case, number words as digits, "p.m." as "pm", and punctuation that carries no meaning gone."""
    text = text.lower().replace("p.m.", "pm").replace("a.m.", "am").replace("’", "'")
    text = re.sub(r"\boh?,? clock\b", "o'clock", text)  # Whisper's "7. Oh, clock."
    text = re.sub(r"(\d)(am|pm)\b", r"\1 \2", text)
    text = re.sub(r"\bdouble[ -](\d)", r"\1 \1 ", text)  # "double-09": double oh, then nine
    text = re.sub(r"\bdouble[ -](\w+)", r"\1 \1", text)
    text = re.sub(r"(?<=\d)o\b|\bo(?=\d)", "0", text)  # "21293o 8841": an "oh" Whisper wrote as a letter
    text = re.sub(r"\b(\w+?)-?ish\b", lambda m: "around " + _ISH.get(m.group(1), m.group(1)), text)  # "eightish"
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
        elif token in ("oh", "o") and _near_digits(tokens, i):
            out.append("0")  # "oh" for zero, which Whisper may write "O"
        elif token == "oh":
            out.append(token)
        elif token in UNITS or token in TENS:
            out.append(str(UNITS.get(token, TENS.get(token))))
        elif token in ORDINALS:
            out.append(f"{ORDINALS[token]}th")
        elif token:
            out.append(re.sub(r"^(\d+)(st|nd|rd|th)$", r"\1th", token))
    # A number corrected as it is said ("seven, no, eight people"): the second one stands.
    return re.sub(r"\b\d{1,2} (?:no|sorry|i mean|no sorry|or rather|actually) (\d{1,2})\b", r"\1", " ".join(out))


_ISH = {"nin": "nine", "fiv": "five", "elev": "eleven", "twelv": "twelve"}  # "ninish" lost its "e"


def _near_digits(tokens: list[str], i: int) -> bool:
    neighbours = tokens[max(0, i - 1) : i] + tokens[i + 1 : i + 2]
    return any(t in UNITS or t.isdigit() for t in neighbours)


COMPANIONS = (r"(?:my|our|a|the) (?:wife|husband|partner|friend|son|daughter|kid|child|baby|mum|mom|dad|"
              r"mother|father|boyfriend|girlfriend|brother|sister|colleague|guest)")
PEOPLE_WORDS = r"(?:adults?|kids?|children|child|babies|baby|teenagers?|toddlers?|people|guests|friends|others)"


def party_size(words: str) -> int | None:
    return _counted(words) or _with_me(words) or _said_size(words)


def _counted(words: str) -> int | None:
    """ "two adults and two kids", "4 adults and a baby": the groups added up."""
    groups = re.findall(rf"\b(\d{{1,2}}|a|an|one) {PEOPLE_WORDS}\b", words)
    if len(groups) < 2:
        return None
    return sum(1 if g in ("a", "an", "one") else int(g) for g in groups)


def _with_me(words: str) -> int | None:
    """ "me and my wife", "myself and 2 friends", "me plus 3": the caller and who comes along."""
    match = re.search(r"\b(?:me|myself|i)((?:(?:,| and| plus| with) (?:(?:my |our |the )?\d{1,2}(?: \w+)?|"
                      + COMPANIONS + r"))+)", words)
    if not match or re.search(r"\b(?:me|myself) (?:and|plus|with) \d{1,2} (?:pm|am|o'clock)", words):
        return None
    extra = re.findall(r"(?:,| and| plus| with) (?:(?:my |our |the )?(\d{1,2})|" + COMPANIONS + r")", match.group(1))
    return 1 + sum(int(n) if n else 1 for n in extra)


def _said_size(words: str) -> int | None:
    if re.search(r"\b(just me|only me|myself|on my own|by myself|just one)\b", words):
        return 1
    if re.search(r"\b(a couple|the 2 of us|my (wife|husband|partner) and (i|me))\b", words):
        return 2
    for pattern in (
        r"\b(?:party|group) of (\d{1,2})\b",
        r"\bfor (\d{1,2})(?= (?:at|on|tonight|tomorrow|this|next|around|about|by)\b)",
        r"\b(\d{1,2}) of us\b",
        r"\b(?:we are|we're|we'll be|we will be) (?:a (?:party|group) of )?(\d{1,2})\b(?! ?(?:am|pm|o'clock))",
        r"\b(?:table|party|booking|reservation|book|room) for (\d{1,2})\b(?! ?(?:am|pm|o'clock|:|\.\d|\d{2}\b))",
        r"\b(\d{1,2}) (?:people|persons|person|guests|adults|diners|pax)\b",
        r"\b(?:there are|there will be|there'll be) (\d{1,2})\b",
        r"^for (\d{1,2})\b(?! ?(?:am|pm|o'clock|:|\d{2}\b))",
        r"\bfor (\d{1,2})$",
    ):
        if match := re.search(pattern, words):
            return int(match.group(1))
    return None


HOLIDAYS = {"christmas eve": (12, 24), "christmas day": (12, 25), "christmas": (12, 25), "boxing day": (12, 26),
            "new year's eve": (12, 31), "new years eve": (12, 31), "new year's day": (1, 1), "valentine's day": (2, 14)}


def parse_day(words: str, today: date, date_order: str = "DMY") -> date | None:
    day = _figures_date(words, today, date_order) or _day(words, today)
    if day and re.search(r"\b(?:week|a week) (?:on|from) \w+|\b\w+day week\b|\ba week (?:tomorrow|today)\b", words):
        return day + timedelta(days=7)  # "Friday week", "a week tomorrow", "a week on Friday"
    return day


def _figures_date(words: str, today: date, date_order: str) -> date | None:
    """A date in figures, "3/12" or "3/12/2026", read in the restaurant's order."""
    match = re.search(r"(?<![\d/-])(\d{1,2})/(\d{1,2})(?:/(?:20)?\d{2})?(?![\d/-])", words)
    if not match:
        return None
    first, second = int(match.group(1)), int(match.group(2))
    day, month = (first, second) if date_order == "DMY" else (second, first)
    return _month_date(today, month, day) if 1 <= month <= 12 else None


def _day(words: str, today: date) -> date | None:
    for holiday, (month, day) in HOLIDAYS.items():
        if holiday in words:
            return _next_date(today, month, day)
    if match := re.search(r"\bin (\d{1,2}|a) (day|week)s?\b", words):
        count = 1 if match.group(1) == "a" else int(match.group(1))
        return today + timedelta(days=count * (7 if match.group(2) == "week" else 1))
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
    said = _said_clock(words)
    if said is None and re.search(r"\blunch\b", words):
        return Clock(12, 0, "pm")  # "lunch for three": noon; "lunch at half one": half one
    return said


def _said_clock(words: str) -> Clock | None:
    meridiem = r"(?: ?(am|pm|in the evening|in the morning|tonight))?"
    patterns: tuple[tuple[str, Callable[..., tuple[int, int]] | None], ...] = (
        (rf"\bhalf past (\d{{1,2}}){meridiem}", lambda h, m=None: (int(h), 30)),
        (rf"\bquarter past (\d{{1,2}}){meridiem}", lambda h, m=None: (int(h), 15)),
        (rf"\bquarter to (\d{{1,2}}){meridiem}", lambda h, m=None: (int(h) - 1, 45)),
        (rf"\bhalf (\d{{1,2}}){meridiem}", lambda h, m=None: (int(h), 30)),  # British "half eight": 8:30
        (rf"\b(\d{{1,2}})[:.](\d{{2}}){meridiem}", lambda h, m: (int(h), int(m))),
        (rf"\b(?:at|around|about|for|by) (\d{{1,2}})(\d{{2}}){meridiem}\b", lambda h, m: (int(h), int(m))),
        (r"\b(\d{1,2})([0-5]\d) ?(am|pm)\b", lambda h, m: (int(h), int(m))),  # Whisper's "730 PM"
        (rf"\b(\d{{1,2}}) ([1-5][05]){meridiem}\b", lambda h, m: (int(h), int(m))),
        (rf"\b(\d{{1,2}}) ?o'?clock{meridiem}", lambda h, m=None: (int(h), 0)),
        (r"\b(\d{1,2}) ?(am|pm|in the evening|in the morning)\b", None),
        (rf"\b(?:at|around|about|by|after|like) (\d{{1,2}}){meridiem}\b(?! (?:people|of us|guests|persons|adults))",
         None),
        (r"\b(\d{1,2}) (?:is|would be|works|should be) (?:fine|good|great|perfect|ok|okay)\b", None),
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
    if match:
        return name_from_words(match.group(1))
    if match := re.match(r"^(?:hi|hello|hey)?[,\s]*([A-Za-z][a-z'\-]+(?: [A-Za-z][a-z'\-]+)?) here\b", text, re.IGNORECASE):
        return name_from_words(match.group(1))  # "Kim Wu here, ..."
    if match := re.match(r"^([A-Z][a-z'\-]+(?: [A-Z][a-z'\-]+){0,2})[,.]?\s+(?=\+?\d{3})", text):
        return name_from_words(match.group(1))  # "Kim Wu, 555-3333": a name, then the number
    return None


def name_from_words(text: str) -> str | None:
    """Up to three words that look like a name, capitalized; None if there are none. Never an answer
    word, a number, a day or a month ("Yes" is not a name)."""
    text = re.split(r"[,.!?;]", ANSWER_OPENERS.sub("", text.strip()), maxsplit=1)[0]
    words: list[str] = []
    for word in re.findall(r"[\w'\-]+", text):
        lower = word.lower()
        if not re.fullmatch(r"[A-Za-z][A-Za-z'\-]*", word):  # "4th", "555", "2026-11-28": not a name
            break
        numeric = any(part in UNITS or part in TENS or part in ORDINALS for part in lower.split("-"))
        if lower in NAME_STOP or numeric or len(words) == 3:
            break
        words.append(word[0].upper() + word[1:])
    if not words or words[0].lower() in MONTHS or any(w.lower() in NOT_NAMES or w.lower() in WEEKDAYS for w in words):
        return None
    if words[0].lower() == "allergic":
        return None
    return " ".join(words)


# Phone numbers have 7 (local), 10 or 11 (national) or 12-13 (with a country code) digits; any other
# count means speech-to-text lost or doubled a digit ("555-444-44" for "five five five, four four four four").
PHONE_LENGTHS = {7, 10, 11, 12, 13}
NATIONAL_LENGTHS = {10, 11}  # a number that starts with a 0 (a trunk prefix) has no country code


def plausible_phone(digits: str) -> bool:
    """Whether a number has a length numbers have ("077700900123": an 0 number of 12 digits has a doubled digit)."""
    national = digits.startswith("0") and not digits.startswith("00")
    return len(digits) in (NATIONAL_LENGTHS if national else PHONE_LENGTHS)


def parse_phone(words: str) -> str | None:
    """Digits read out one by one, in groups, or as Whisper writes them ("555-1234", "07 7.00 9.00",
    "312 for 46973": a "four" heard as "for" inside a number)."""
    plain = _longest_digits(words, r"\+?\d[\d -]*\d")
    if plausible_phone(plain):
        return plain
    loose = _longest_digits(re.sub(r"(?<=\d) for (?=\d)", " 4 ", words), r"\+?\d[\d .-]*\d")
    if plausible_phone(loose):
        return loose
    return plain if 6 <= len(plain) <= 15 else None  # an odd length: the dialogue asks again


def _longest_digits(words: str, run: str) -> str:
    return max((re.sub(r"\D", "", found) for found in re.findall(run, words)), key=len, default="")


PHONE_PART = re.compile(r"\b(last|1th) (\d{1,2}) (?:digits? |numbers? )?(?:should be |would be |[a-z]+ )?((?:\d ?)+)\b"
                        r"|\bends? (?:in|with) ((?:\d ?)+)\b|\bstarts? with ((?:\d ?)+)\b")


def phone_part(words: str) -> tuple[str, str] | None:
    """Part of a phone number corrected on its own: "the last four are 4 4 4 4", "it ends in 99"
    (Whisper's "for three to one" is 4 3 2 1; "are" heard as "earlier" is any one word)."""
    match = PHONE_PART.search(_digit_homophones(words))
    if match is None:
        return None
    which, count, said, ending, starting = match.groups()
    digits = re.sub(r"\D", "", said or ending or starting)
    if count and int(count) != len(digits):
        return None  # "the last four are 4 4": not what it says it is
    return ("first" if which == "1th" or starting else "last"), digits


def _digit_homophones(words: str) -> str:
    """"for" and "to" beside a digit are the digits Whisper heard as words."""
    return re.sub(r"\b(?:(for)|to|too)\b(?= \d)|(?<=\d )(?:(for)|to|too)\b",
                  lambda m: "4" if m.group(1) or m.group(2) else "2", words)


def without_negated(words: str) -> str:
    """The words without a detail the caller rules out: "not tuesday, thursday" says thursday."""
    days = "|".join(WEEKDAYS + MONTHS)
    return re.sub(rf"\bnot (?:on |at |for |the )?(?:{days}|\d+(?::\d+)?(?:th)?(?: [ap]m| people)?)\b", " ", words)


def spelled_name(text: str) -> str | None:
    """A name spelled letter by letter ("S, H, A, H.", "L-O-P-E-Z", "bravo romeo uniform", "double L",
    "B as in Bravo", Whisper's "See. Okay. Why?" for C, K, Y): its letters, a word per sentence of two
    or more letters, each capitalized; None unless three or more letters were spelled."""
    parts = [letters for part in re.split(r"[.;!?]", text) if (letters := _spelled(part))]
    tokens = re.findall(r"[a-z']+", text.lower())
    if sum(token in SOUNDS_LIKE_A_LETTER for token in tokens) * 2 > len(tokens):
        return None  # "Okay, see you": words that sound like letters, and mostly nothing else
    words: list[str] = []
    for letters in parts:  # Whisper puts a full stop after many a single letter: it ends no word
        if words and (len(letters) == 1 or len(words[-1]) == 1):
            words[-1] += letters
        else:
            words.append(letters)
    if sum(len(word.strip("'-")) for word in words) < 3:
        return None
    return " ".join(re.sub(r"(^|['-])([a-z])", lambda m: m.group(1) + m.group(2).upper(), word) for word in words)


def spelled_letter(text: str) -> str:
    """The letter a turn says when it says one letter alone ("See." is C, "Double you." W), else ""."""
    said = " ".join(re.findall(r"[a-z']+", text.lower().replace("-", " ")))
    return SPELLED_LETTERS.get(said, "") or (_letter(said) if " " not in said else "")


def _spelled(part: str) -> str:
    """The letters of one stretch of spelling; "" when a word in it is no letter."""
    tokens, letters, i = re.findall(r"[a-z']+", part.lower().replace("x-ray", "xray").replace("-", " ")), "", 0
    while i < len(tokens):
        token, following = tokens[i], tokens[i + 1] if i + 1 < len(tokens) else ""
        if token == "as" and following == "in" and i + 2 < len(tokens):
            i += 3  # "B as in Bravo": the letter was said already
            continue
        if token in ("double", "triple") and _letter(following):
            letters += _letter(following) * (2 if token == "double" else 3)
            i += 2
            continue
        letter = _letter(token)
        if not letter:
            return ""
        letters, i = letters + letter, i + 1
    return letters


def _letter(token: str) -> str:
    if len(token) == 1 and token.isalpha():
        return token
    return SPELLED_LETTERS.get(token, "")


LETTER_NAMES = {"zed": "z", "zee": "z", "ess": "s", "kay": "k", "cee": "c", "see": "c", "why": "y", "eye": "i",
                "double u": "w", "aitch": "h", "jay": "j", "vee": "v", "ef": "f", "tee": "t", "dee": "d"}
# A letter as Whisper writes it when it is said alone (a real recorded A-Z: "See", "Okay", "End",
# "Oh", "You", "Why"), as people name it, and in the NATO alphabet; and the marks inside a name.
SOUNDS_LIKE_A_LETTER = {"see": "c", "sea": "c", "okay": "k", "ok": "k", "end": "n", "oh": "o", "owe": "o", "you": "u",
                        "double you": "w", "elle": "l", "ar": "r", "ah": "r", "eff": "f", "if": "f", "in": "n",
                        "and": "n", "kai": "k", "said": "z",
                        "are": "r", "be": "b", "why": "y", "eye": "i", "tea": "t", "eh": "a", "pea": "p", "queue": "q"}
SPELLED_LETTERS = {
    **LETTER_NAMES, **SOUNDS_LIKE_A_LETTER, "en": "n", "bee": "b", "pee": "p", "cue": "q", "em": "m",
    "el": "l", "ell": "l", "ex": "x", "gee": "g", "ay": "a", "hyphen": "-", "dash": "-", "apostrophe": "'",
    **{word: word[0] for word in ("alpha", "alfa", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
                                  "india", "juliet", "juliett", "kilo", "lima", "mike", "november", "oscar", "papa",
                                  "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey", "whisky",
                                  "x-ray", "x ray", "xray", "yankee", "zulu")},
}
# Letters that sound alike in names: "Lopes" said "with a zed" is Lopez.
SOUND_ALIKE = {"z": "s", "s": "z", "k": "c", "c": "k", "y": "i", "i": "y", "v": "f", "f": "v", "t": "d", "d": "t"}


def spelled_as_said(name: str | None, words: str) -> str | None:
    """A name with the letter the caller spells out ("Lopez with a zed"), where its sound-alike was."""
    match = re.search(r"\bwith an? (double u|\w+)\b", words)
    if name is None or match is None:
        return name
    letter = LETTER_NAMES.get(match.group(1), match.group(1))
    if letter not in SOUND_ALIKE or letter in name.lower() or SOUND_ALIKE[letter] not in name.lower():
        return name
    at = name.lower().rindex(SOUND_ALIKE[letter])
    return name[:at] + (letter.upper() if name[at].isupper() else letter) + name[at + 1 :]


def parse_notes(words: str) -> list[str]:
    notes = []
    for pattern in NOTE_PATTERNS:
        notes += [match.group(0).strip() for match in re.finditer(pattern, words)]
    return notes


def bare_number(words: str) -> int | None:
    """The number in a short answer such as "five", "make it 6" or "4 please"."""
    match = re.fullmatch(r"(?:(?:no|actually|sorry|make it|change it to|let's say|say|it's|uh|um|er|yeah|yes|ok|"
                         r"okay|maybe|probably|for|just|about|around)\s*)*"
                         r"(\d{1,2})(?: please| instead| then| people| thanks| thank you)*", words.strip())
    return int(match.group(1)) if match else None
