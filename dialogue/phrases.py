"""What the reservation line says: short spoken sentences, the first clause first, with some variety."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Any

from parley.dialogue.domain import WEEKDAYS, Domain
from parley.dialogue.types import Booking, Caller

HELP = "I can book a table, change or cancel a booking, and tell you our opening hours and address."

QUESTIONS = {
    "party_size": ("How many people will it be?", "For how many people?", "How many of you are coming?"),
    "day": ("Which day would you like?", "What day were you thinking of?", "For which day?"),
    "at": ("What time would you like?", "And at what time?", "What time suits you?"),
    "name": ("What name shall I put it under?", "Can I take a name for the booking?", "And your name, please?"),
    "phone": ("What's the best phone number for you?", "Could I have a phone number?", "And a contact number?"),
}
REPHRASED = {
    "party_size": "Just the number of guests, for example: four people.",
    "day": "You can say a day like: tomorrow, or Friday, or the 14th of December.",
    "at": "You can say a time like: seven thirty, or 8 pm.",
    "name": "Please say the name for the booking, for example: my name is Maria Rossi.",
    "phone": "Please read out your phone number, digit by digit.",
}
# The third ask for one detail: a different way to give it, not the same question again.
WAY_OUT = {
    "day": "Let's try it another way: which day of the week would suit you, Monday to Sunday?",
    "name": "Let's try it another way: please spell the name for me, letter by letter.",
    "phone": "Let's try it another way: please say the digits one at a time, for example five, five, five.",
}
KEYPAD = ("Let's try it another way: type the number on your keypad, then press hash. "
          "Or say the digits one at a time.")
PUT_THROUGH = "Of course, I'll put you through to a member of our team now."
LINES_BUSY = "All our lines are busy; please call again in a few minutes."
GOING_AWAY = "I'm sorry, I have to end the call now. Please call again in a minute. Goodbye."
OUT_OF_DOMAIN = "I'm only the reservation line, so I can't help with that."
SORRY = ("Sorry, I didn't catch that.", "Sorry, I missed that.", "I'm not sure I followed.")


def what_callers_say(domain: Domain) -> str:
    """Words to prime speech-to-text with: the restaurant's name and a booking's kind of words, none
    of them a real caller's details (measured in the README's evaluation section)."""
    return f"{domain.name}: a table for six on Saturday at eight. Yes. Five five five, oh nine."  # short: fewer tokens to decode


def frequent(domain: Domain) -> list[str]:
    """What the line says most, to synthesize before the first call: as the reply splitter cuts
    replies (first clause, then sentences), so each is one piece."""
    pieces = [q for options in QUESTIONS.values() for q in options] + list(SORRY) + [
        "Is there anything else I can do for you?", "Anything else?", "Shall I go ahead?", READ_BACK, DONE,
        "Thank you for calling.", "Goodbye!", "Welcome back,", "No problem.", "That date has already passed.",
        "That time has already passed.", "I'm sorry, that table was just taken.", "Which other day would suit you?",
        f"Our largest table seats {domain.seats_per_table}.",
        "Sorry, I still didn't get that.", "What would you like to change?", "Would that work?",
        "Hello, you've reached " + domain.name + ".", "How can I help you?", f"We're at {domain.address}.", LINES_BUSY,
        GOING_AWAY,
    ]
    today = domain.now().date()
    for ahead in range(7):  # "On Friday we're open from 5 pm to 10 pm.", "I'm afraid we're closed on Mondays."
        on = today + timedelta(days=ahead)
        pieces.append(hours(domain, on))
        if domain.opening(on) is None:
            pieces.append(f"I'm afraid we're closed on {on.strftime('%A')}s.")
    return pieces


def greeting(domain: Domain) -> str:
    return f"Hello, you've reached {domain.name}. How can I help you?"


def no_staff(domain: Domain, today: date) -> str:
    """Asked for a person where none can take the call: when one can, and what Parley can do now."""
    return (f"I can't put you through to a person on this line. Our team answer the phone while we're open. "
            f"{hours(domain, today)} I can take a booking or answer a question now.")


def goodbye() -> str:
    return "Thank you for calling. Goodbye!"


def still_there(question: str) -> str:
    return f"Are you still there? {question}".strip()


def last_sentence(text: str) -> str:
    return re.split(r"(?<=[.?!])\s+", text.strip())[-1]


def request(reply: str) -> str:
    """What a reply asks: its last sentence without the words that open it ("Sure, ...", "Let's try
    ...:"); a read-back is asked about as a whole (with other details, it is another request)."""
    if READ_BACK in reply:
        return reply[reply.index(READ_BACK):].lower()
    return re.sub(r"^(?:sure|good|ok|okay|no problem|let's try it another way)[,:.]\s*", "", last_sentence(reply).lower())


def sorry(turn: int) -> str:
    return SORRY[turn % len(SORRY)]


def ask(slot: str, turn: int, draft: Any) -> str:  # a manager's Draft (imported there: no cycle)
    options = QUESTIONS[slot]
    question = options[turn % len(options)]
    if slot == "party_size" and draft.day is None and draft.at is None and turn % 2:
        return "Sure, " + question[0].lower() + question[1:]
    return question


def ask_again(expecting: str | None) -> str:
    return REPHRASED.get(expecting or "", HELP)


def ask_lookup(task: str) -> str:
    verb = {"cancel": "cancel", "change": "change", "check": "look up"}[task]
    return f"Sure, I can {verb} that. What's the phone number on the booking?"


def clock(at: time) -> str:
    hour = at.hour % 12 or 12
    suffix = "pm" if at.hour >= 12 else "am"
    return f"{hour}:{at.minute:02d} {suffix}" if at.minute else f"{hour} {suffix}"


def day(d: date, today: date) -> str:
    if d == today:
        return "today"
    if d == today + timedelta(days=1):
        return "tomorrow"
    weekday = WEEKDAYS[d.weekday()].capitalize()
    return f"{weekday} the {ordinal(d.day)} of {d.strftime('%B')}"


def on_day(d: date, today: date) -> str:
    """ "tomorrow", "today", or "on Friday the 4th of December": a day as it follows a verb."""
    said = day(d, today)
    return said if d - today < timedelta(days=2) else f"on {said}"


def ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def either(times: list[time]) -> str:
    spoken = [clock(t) for t in times]
    return " or ".join(spoken)


def describe(booking: Booking, today: date, spell_name: bool = False) -> str:
    people = "1 person" if booking.party_size == 1 else f"{booking.party_size} people"
    under = "your phone number" if booking.flag.startswith(NAME_HEARD_AS) else booking.name
    under += f", {spelled_out(booking.name)}" if spell_name else ""
    text = f"a table for {people} {day(booking.day, today)} at {clock(booking.at)}, under {under}"
    if booking.notes:
        text += ", noting " + " and ".join(booking.notes)
    return text


# Replies that take a moment to synthesize open with a short fixed sentence, synthesized at start-up,
# so the caller hears something at once while the rest is made.
READ_BACK = "Let me read that back."
NAME_UNCLEAR = "name unclear"  # a booking's flag: the staff check the name with the caller
NAME_HEARD_AS = f"{NAME_UNCLEAR}: heard as"  # no name made out: booked under the number, the words as heard
NO_NUMBER = "call back: no phone number was heard"  # a booking's flag
NUMBER_UNCLEAR = "number unclear"  # a booking's flag: the number as heard has no phone's length
DONE = "All done."


def confirm(task: str | None, booking: Booking, today: date, spell_name: bool = False) -> str:
    lead = "That's" if task != "change" else "The booking becomes"
    digits = " ".join(booking.phone)  # read out one by one, so a misheard digit can be caught
    number = f"on {digits}" if digits else "without a phone number"
    return f"{READ_BACK} {lead} {describe(booking, today, spell_name)}, {number}. Shall I go ahead?"


def spelled_out(name: str) -> str:
    """A name letter by letter, word by word: "Mei Tanaka" is "M, E, I; T, A, N, A, K, A"."""
    return "; ".join(", ".join(word.upper()) for word in name.split())


def booked(booking: Booking, today: date) -> str:
    return f"{DONE} You're booked for {day(booking.day, today)} at {clock(booking.at)}."


def cancelled(booking: Booking, today: date) -> str:
    return f"{DONE} Your booking for {day(booking.day, today)} is cancelled."


def hours(domain: Domain, on: date | None) -> str:
    if on is not None:
        opening = domain.opening(on)
        name = WEEKDAYS[on.weekday()].capitalize()
        if opening is None:
            return f"We're closed on {name}s."
        return f"On {name} we're open from {clock(opening[0])} to {clock(opening[1])}."
    open_days = [WEEKDAYS[i].capitalize() for i, h in enumerate(domain.hours) if h]
    closed = [WEEKDAYS[i].capitalize() for i, h in enumerate(domain.hours) if not h]
    text = f"We're open {open_days[0]} to {open_days[-1]} in the evening"
    return text + (f", and closed on {' and '.join(closed)}." if closed else ".")


def outside_hours(asked: time, on: date, seatings: list[time], today: date) -> str:
    when = on_day(on, today)
    return (f"{when[0].upper()}{when[1:]} we seat guests from {clock(seatings[0])} to {clock(seatings[-1])}, "
            f"so {clock(asked)} won't work.")


def known(caller: Caller, today: date) -> str:
    """Everything remembered about a caller, said in two or three sentences."""
    who = f"I know you as {caller.name}" if caller.name else "I know you"
    text = who + (f", on the number ending {' '.join(caller.phone[-2:])}." if caller.phone else ".")
    if caller.usual_party_size:
        text += f" You usually book for {caller.usual_party_size}."
    if caller.notes:
        text += f" I have noted your {' and '.join(caller.notes)}."
    if caller.last_booking:
        text += f" Your last booking was {describe(caller.last_booking, today)}."
    return text
