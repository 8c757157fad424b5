"""When the caller is not understood: the question again in other words, a way out, and at last a person."""

from __future__ import annotations

import re
from datetime import time
from typing import TYPE_CHECKING

from parley.dialogue import phrases
from parley.dialogue.moves import Attention, EndCall, Move
from parley.dialogue.state import SLOTS, Expecting

if TYPE_CHECKING:
    from parley.dialogue.manager import DialogueManager

MAX_MISUNDERSTANDINGS = 3  # then start over with the options; twice that ends the call
RUNGS = 3  # a detail is asked plainly, with an example, another way; then the call goes on without it
WHAT = {"party_size": "number of people", "day": "day", "at": "time"}

QUESTIONS = {
    Expecting.CONFIRM: "Shall I go ahead?",
    Expecting.PHONE_LOOKUP: "What's the phone number on the booking?",
    Expecting.CHANGE_WHAT: "What would you like to change?",
    Expecting.CORRECTION: "What should I change?",
    Expecting.ANYTHING_ELSE: "Is there anything else I can do for you?",
    Expecting.IDENTIFY: "What's the phone number you book with?",
    Expecting.IDENTITY: "Have you booked with us before?",
    Expecting.CONFIRM_FORGET: "Shall I forget everything about you?",
}


# A request made twice in a row, asked a third time: these words instead.
OTHER_WORDS = {
    Expecting.CONFIRM: "Shall I book it as I read it? Just say yes or no.",
    Expecting.ANYTHING_ELSE: "Can I help with anything else, or is that all?",
    Expecting.CORRECTION: "Which detail should I change: the day, the time, the number of people, or the name?",
    Expecting.PHONE_LOOKUP: "Please read out the phone number the booking was made with.",
    Expecting.IDENTIFY: "Please read out the phone number you book with.",
    Expecting.IDENTITY: "Have you booked a table with us before? Yes or no.",
    Expecting.CONFIRM_FORGET: "Should I delete everything I know about you? Yes or no.",
}


class Repair:
    """Asking again, never the same words a fourth time, and ending a call that cannot go on."""

    def __init__(self, manager: DialogueManager):
        self.m = manager

    def misunderstanding(self) -> list[Move]:
        state = self.m.state
        if state.preface and state.task is None:
            return self.m.say("How can I help you today?")  # "Hello, it's 555 4444": welcomed, nothing asked yet
        state.misunderstood += 1
        if state.misunderstood >= 2 * MAX_MISUNDERSTANDINGS:
            return [*self.m.say("I'm sorry I couldn't help this time. Please call again later. Goodbye."),
                    Attention("ended without being understood"), EndCall()]
        if state.expecting in SLOTS:
            if state.expecting == Expecting.NAME and state.heard and not state.name_heard:
                state.name_heard = state.heard.text  # what a name that cannot be made out sounded like
            return self.ask_again(phrases.sorry(state.turn))
        if state.misunderstood % MAX_MISUNDERSTANDINGS == 0:
            return self.m.say("Sorry, I'm not getting this.", phrases.HELP)
        if state.misunderstood % MAX_MISUNDERSTANDINGS == 2:
            return self.m.say("Sorry, I still didn't get that.", phrases.ask_again(state.expecting))
        return self.m.say(phrases.sorry(state.turn), self.question() or "How can I help?")

    def ask_again(self, *opener: str) -> list[Move]:
        """The expected detail's question, one rung down its ladder; past the last rung, on without it."""
        state = self.m.state
        slot, (last, times) = state.expecting, state.asked
        if slot in SLOTS and last == slot and times >= RUNGS:
            state.asked = (None, 0)
            return self.without(str(slot))
        return self.m.say(*opener, self.question_again())

    def without(self, slot: str) -> list[Move]:
        """Every ladder ends: a name or a number is booked without and flagged for the staff; a booking
        cannot stand without its party, day or time, so those go to a person."""
        state = self.m.state
        draft = state.draft
        if slot == "name":
            heard = re.sub(r"[^\w' -]", "", state.name_heard or "").strip()[:40]
            draft.name = heard or "Unknown"
            self.name_unclear(f"{phrases.NAME_HEARD_AS} {heard!r}" if heard else phrases.NAME_UNCLEAR)
            return self.m.slots.next()
        if slot == "phone":
            draft.phone = ""
            draft.flags.append(phrases.NO_NUMBER)
            return self.m.slots.next()
        return self.give_up(WHAT.get(slot, slot))

    def name_unclear(self, flag: str) -> None:
        """The name is booked as it stands, flagged for the staff to check; it is not asked again."""
        state = self.m.state
        state.name_doubted = True
        if not any(f.startswith(phrases.NAME_UNCLEAR) for f in state.draft.flags):
            state.draft.flags.append(flag)

    def give_up(self, what: str) -> list[Move]:
        """A detail a booking needs, not heard after every way of asking: a person takes it from here."""
        state = self.m.state
        state.end_task()
        state.given_up += 1
        sorry = f"I'm sorry, I couldn't catch the {what}."
        if self.m.phone_line and self.m.domain.staff_line:
            return [*self.m.say(sorry), *self.hand_over()]
        if state.given_up > 1:  # a second booking stopped the same way: a person is the way on
            return [Attention(f"a call ended: could not get the {what}, twice"),
                    *self.m.say(sorry, "I've left a note for our team. Please call again. Goodbye."), EndCall()]
        state.expecting = Expecting.ANYTHING_ELSE
        return [Attention(f"a booking stopped: could not get the {what}"),
                *self.m.say(sorry, "I've left a note for our team to help you with the booking.",
                            "Is there anything else I can do for you?")]

    def question_again(self) -> str:
        """The question for the detail expected: asked plainly, then with an example, then with a way
        out (something to say yes to, or spelling it), never the same words a fourth time."""
        state = self.m.state
        slot = state.expecting
        last, times = state.asked
        times = times + 1 if last == slot else 1
        state.asked = (slot, times)
        if slot is None or slot not in SLOTS:
            return self.question()
        if times == 1:
            return phrases.ask(slot, state.turn, state.draft)
        if times == 2:
            return phrases.ask_again(slot)
        return self._way_out(slot)

    def _way_out(self, slot: str) -> str:
        state = self.m.state
        if slot == "party_size":
            state.suggested = 2
            return "Let's try it another way: is it a table for two? Say yes, or just the number."
        if slot == "at" and state.draft.day is not None:
            return "Let's try it another way. " + self.m.slots.offer_times(near=time(19, 0), count=1)
        if slot == "phone" and self.m.phone_line:
            return phrases.KEYPAD
        return phrases.WAY_OUT.get(slot, phrases.ask_again(slot))

    def never_thrice(self, text: str) -> str:
        """`text`, unless its request (its last sentence, without an opener) was just made twice in a
        row: then that request in other words, so no one hears the same thing a third time."""
        state = self.m.state
        last_sentence = phrases.last_sentence(text)
        request = phrases.request(text)
        times = state.requested[1] + 1 if request == state.requested[0] else 1
        if times > 2:
            other = next(o for o in self._other_words(state.expecting) if phrases.request(o) != phrases.request(last_sentence))
            text, request, times = text[: len(text) - len(last_sentence)] + other, phrases.request(other), 1
        state.requested = (request, times)
        return text

    def _other_words(self, expecting: Expecting | None) -> list[str]:
        first = OTHER_WORDS.get(expecting, "") if expecting else ""
        return [first, phrases.ask_again(expecting), phrases.HELP, "How can I help?"]

    def question(self) -> str:
        """The question in hand, to come back to after an aside."""
        expecting, draft = self.m.state.expecting, self.m.state.draft
        if expecting in SLOTS:
            return phrases.ask(expecting, 0, draft)
        return QUESTIONS.get(expecting, "") if expecting else ""

    def hand_over(self) -> list[Move]:
        """A person, where a phone line can put the caller through to one; else when to call for one."""
        domain, today = self.m.domain, self.m.state.now.date()
        if self.m.phone_line and domain.staff_line:
            return [*self.m.say(phrases.PUT_THROUGH), Attention(f"asked for a person: put through to {domain.staff_line}"),
                    EndCall(hand_over_to=domain.staff_line)]
        return [Attention("asked for a person"), *self.m.say(phrases.no_staff(domain, today), self.question())]
