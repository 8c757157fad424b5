"""Memory in the call: recognizing a caller, a second detail before a claimed one hears anything, recall, forgetting."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from parley.dialogue import phrases
from parley.dialogue.disclosure import NOT_MATCHED, SecondDetail, same_name
from parley.dialogue.moves import Forget, Move, Recognized
from parley.dialogue.nlu import Understanding
from parley.dialogue.state import Expecting, Task
from parley.dialogue.types import Caller

if TYPE_CHECKING:
    from parley.dialogue.manager import DialogueManager

TOPIC_STOP = {"what", "do", "you", "remember", "know", "about", "me", "my", "i", "the", "a", "did", "tell",
              "have", "on", "is", "it", "that", "can", "please", "anything", "from", "last", "time"}


def _topic(text: str) -> str:
    """The words of a "do you remember ..." question that say what about."""
    return " ".join(w for w in re.findall(r"[a-z']+", text.lower()) if w not in TOPIC_STOP)


def first_name(name: str | None) -> str | None:
    return name.split()[0] if name else None


class Recognition:
    """Who the caller is, and what they may hear: the identity state's one writer."""

    def __init__(self, manager: DialogueManager):
        self.m = manager

    def recognize(self, u: Understanding) -> None:
        identity, directory = self.m.state.identity, self.m.directory
        identity.said_name = u.name or identity.said_name
        if identity.caller or not directory or not u.phone:
            return
        identity.candidate = None
        known = directory.caller(phone=u.phone)
        if known:
            identity.claimed_by = "phone"
            # A name said with the number, before anything was asked, is the second detail already.
            identity.trusted = bool(identity.said_name and known.name and same_name(identity.said_name, known.name))
            self._welcome(known)

    def known_by_name(self) -> bool:
        """Once per call, before asking a new caller's number: is the name they gave one we know?"""
        identity, name = self.m.state.identity, self.m.state.draft.name
        if identity.caller or not self.m.directory or not name or identity.asked_by_name:
            return False
        identity.asked_by_name = True
        found = self.m.directory.caller(name=name)
        identity.candidate = found if found and found.phone else None
        return identity.candidate is not None

    def _welcome(self, caller: Caller) -> None:
        state = self.m.state
        state.identity.caller, state.identity.candidate = caller, None
        state.noticed.append(Recognized(caller))
        first = first_name(caller.name)
        state.preface.append(f"Welcome back, {first}." if first else "Welcome back.")
        if state.task == Task.BOOK:
            self.m.slots.prefill()

    def memory_request(self, request: str | None, u: Understanding) -> list[Move]:
        state, directory = self.m.state, self.m.directory
        if directory is None:
            return self.m.say("I'm sorry, this line keeps no memory of callers.", self.m.repair.question())
        caller = state.identity.caller
        if caller is None:
            state.identity.pending, state.expecting = request, Expecting.IDENTIFY
            return self.m.say("Sure. First, what's the phone number you book with?")
        if not state.identity.trusted:
            return self.ask_second(self._second_for_caller(caller, request, u))
        back, today = self.m.repair.question() or "Anything else?", state.now.date()
        if request == "forget":
            state.expecting = Expecting.CONFIRM_FORGET
            return self.m.say("Shall I forget everything I know about you, your bookings included?")
        if request == "recall":
            if caller.last_booking is None:
                return self.m.say("I don't have a booking from you yet.", back)
            return self.m.say(f"Last time you booked {phrases.describe(caller.last_booking, today)}.", back)
        found = directory.recall(caller.person_id, _topic(u.text))
        if found:
            return self.m.say(f"You told me: {found[0].rstrip('.')}.", back)
        return self.m.say(phrases.known(caller, today), back)

    def _second_for_caller(self, caller: Caller, request: str | None, u: Understanding) -> SecondDetail:
        """A caller who said their number is asked their name, one who said their name their number."""
        if self.m.state.identity.claimed_by == "phone" and caller.name:
            return SecondDetail("name", caller.name, request=request, asked=u)
        return SecondDetail("phone", caller.phone or "", request=request, asked=u)

    def ask_second(self, second: SecondDetail) -> list[Move]:
        self.m.state.identity.second, self.m.state.expecting = second, Expecting.VERIFY
        return self.m.say(second.question())

    # The answers to the questions memory asks, one per state (DialogueManager's table).

    def second_given(self, u: Understanding) -> list[Move] | None:
        state = self.m.state
        second, state.identity.second = state.identity.second, None
        if second is None:
            return None
        if not second.matches(u):
            state.end_task()
            state.expecting = Expecting.ANYTHING_ELSE
            return self.m.say(NOT_MATCHED, "Is there anything else I can do for you?")
        if second.booking is not None:
            return self.m.lookups.found(second.booking)
        state.identity.trusted, state.expecting = True, None
        return self.memory_request(second.request, second.asked or u)

    def identified(self, u: Understanding) -> list[Move] | None:
        """The number asked for before a memory request: the request answered, if it is someone we know."""
        state = self.m.state
        if not u.phone:
            return None
        request, state.identity.pending = state.identity.pending, None
        state.expecting = None
        if state.identity.caller is None:
            return self.m.say("I don't have anything under that number.", "Is there anything else I can do for you?")
        return self.memory_request(request, u)

    def is_it_you(self, u: Understanding) -> list[Move] | None:
        """Yes or no to "are you the Sam Lee who has booked with us before?"."""
        state = self.m.state
        if not ("yes" in u.intents or "no" in u.intents) or u.phone:
            return None
        candidate, state.identity.candidate = state.identity.candidate, None
        if "yes" in u.intents and candidate:
            state.draft.phone = candidate.phone
            state.identity.claimed_by = "name"
            self._welcome(candidate)
            return self.m.slots.next()
        state.expecting = Expecting.PHONE
        return self.m.say("Sorry, my mistake.", phrases.ask("phone", 0, state.draft))

    def forget_confirmed(self, u: Understanding) -> list[Move] | None:
        state = self.m.state
        if "yes" in u.intents and state.identity.caller:
            return [Forget(state.identity.caller)]
        if "no" in u.intents:
            state.expecting = Expecting.ANYTHING_ELSE
            return self.m.say("All right, I'll keep everything as it is.", "Anything else?")
        return None
