"""Finding a caller's booking, to check, change or cancel it; asking again, then letting go."""

from __future__ import annotations

from typing import TYPE_CHECKING

from parley.dialogue import phrases
from parley.dialogue.disclosure import second_for_booking
from parley.dialogue.moves import Move
from parley.dialogue.nlu import plausible_phone
from parley.dialogue.state import Draft, Expecting, Task
from parley.dialogue.types import Booking

if TYPE_CHECKING:
    from parley.dialogue.manager import DialogueManager

MAX_FAILED_LOOKUPS = 2  # then stop asking for the number of a booking we cannot find


class Lookups:
    """The booking a caller already has: found by number or name, shown only to whoever may hear it."""

    def __init__(self, manager: DialogueManager):
        self.m = manager

    def start(self, task: Task, phone: str | None) -> list[Move]:
        """A change, cancellation or check begun: looked up at once when we have a number, else asked for."""
        state = self.m.state
        state.task = task
        if phone:
            return self.look_up(phone, None)
        state.expecting = Expecting.PHONE_LOOKUP
        return self.m.say(phrases.ask_lookup(task))

    def look_up(self, phone: str | None, name: str | None) -> list[Move]:
        state = self.m.state
        found = self.m.calendar.find(phone=phone, name=name, today=state.now.date())
        if not found:
            return self._not_found(phone)
        state.failed_lookups = 0
        booking, identity = found[0], state.identity
        if not (identity.trusted and identity.caller and identity.caller.phone == booking.phone):
            return self.m.recognition.ask_second(second_for_booking(booking, found_by_phone=phone is not None))
        return self.found(booking)

    def found(self, booking: Booking) -> list[Move]:
        """A booking the caller may hear about: described, then checked, cancelled or changed."""
        state = self.m.state
        state.existing = booking
        described = phrases.describe(booking, state.now.date())
        if state.task == Task.CHECK:
            state.task = None
            state.expecting = Expecting.ANYTHING_ELSE
            return self.m.say(f"Yes, I have {described}.", "Anything else?")
        if state.task == Task.CANCEL:
            state.expecting = Expecting.CONFIRM
            return self.m.say(f"I have {described}.", "Shall I cancel it?")
        state.draft = Draft.of(booking)
        state.expecting = Expecting.CHANGE_WHAT
        return self.m.say(f"I have {described}.", "What would you like to change?")

    def _not_found(self, phone: str | None) -> list[Move]:
        """Ask again for the number of a booking we cannot find, a number of an unlikely length digit
        by digit; after that, stop asking and offer what else we can do."""
        state = self.m.state
        state.failed_lookups += 1
        if state.failed_lookups >= MAX_FAILED_LOOKUPS:
            state.end_task()
            state.expecting = Expecting.ANYTHING_ELSE
            return self.m.say("I'm sorry, I can't find a booking under that.", "Is there anything else I can do for you?")
        state.expecting = Expecting.PHONE_LOOKUP
        if phone and not plausible_phone(phone):
            return self.m.say(f"I heard {' '.join(phone)}, which is {len(phone)} digits.",
                              "Could you say the number again, one digit at a time?")
        return self.m.say("I can't find a booking under that.", "Could you give me the phone number you booked with?")
