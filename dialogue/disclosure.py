"""Who may hear what: a claimed identity hears its memory, or a booking, only once a second detail matches."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from parley.dialogue.nlu import Understanding
from parley.dialogue.types import Booking

# Speech-to-text spells a name its own way ("Lina" for Lena, "Parks" for Park): a word this alike matches.
NAME_ALIKE = 0.75
NOT_MATCHED = "I'm sorry, that doesn't match what I have, so I can't go into that."


@dataclass(frozen=True)
class SecondDetail:
    """What the caller must say before Parley goes on: the name (`kind` "name") or the number
    ("phone") on record; then `booking` is described, or the memory `request` answered."""

    kind: str
    expected: str
    booking: Booking | None = None
    request: str | None = None
    asked: Understanding | None = None  # the question that needed it ("what do you remember about my allergy?")

    def question(self) -> str:
        if self.kind == "name":
            return "Before I go into that, what name do you book under?"
        return "Before I go into that, what number do you book with?"

    def matches(self, u: Understanding) -> bool:
        if self.kind == "phone":
            return u.phone == self.expected
        return u.name is not None and same_name(u.name, self.expected)


def same_name(said: str, expected: str) -> bool:
    """Whether a name said is the one on record: a word of it like a word of that one."""
    return any(SequenceMatcher(None, a.lower(), b.lower()).ratio() >= NAME_ALIKE
               for a in said.split() for b in expected.split())


def second_for_booking(booking: Booking, found_by_phone: bool) -> SecondDetail:
    """A booking found by the number said is described once its name is given, and the other way round."""
    if found_by_phone:
        return SecondDetail("name", booking.name, booking=booking)
    return SecondDetail("phone", booking.phone, booking=booking)
