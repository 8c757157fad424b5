"""What goes into the dialogue (events: what the caller said, what the store did) and what comes out (actions)."""

from __future__ import annotations

from dataclasses import dataclass

from parley.dialogue.nlu import Understanding
from parley.dialogue.types import Booking, Caller


# Events in, each through DialogueManager.handle.
@dataclass(frozen=True)
class UserSaid:
    text: str
    meaning: Understanding | None = None  # what the LLM made of `text`; None: the embedded rules read it


@dataclass(frozen=True)
class CommitFailed:
    """The store could not make the booking (the last table went to someone else)."""


@dataclass(frozen=True)
class Committed:
    """The store made (or cancelled) `booking`."""

    booking: Booking


@dataclass(frozen=True)
class Forgotten:
    """Memory has deleted everything about the caller."""


@dataclass(frozen=True)
class AsideAnswered:
    """The caller got `answer` (from the LLM) to a question off the subject."""

    answer: str


DialogueEvent = UserSaid | CommitFailed | Committed | Forgotten | AsideAnswered


# Actions out.
@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Commit:
    booking: Booking  # a new booking when id is None, else the new details of booking `id`


@dataclass(frozen=True)
class Cancel:
    booking: Booking


@dataclass(frozen=True)
class EndCall:
    hand_over_to: str = ""  # put the call through to a person there instead of hanging up


@dataclass(frozen=True)
class Attention:
    """A person at the restaurant should look at this call, for `reason`."""

    reason: str


@dataclass(frozen=True)
class Recognized:
    """The caller turned out to be someone Parley knows."""

    caller: Caller


@dataclass(frozen=True)
class Forget:
    """The caller asked, and confirmed, that everything about them be deleted."""

    caller: Caller


Move = Say | Commit | Cancel | EndCall | Recognized | Forget | Attention
