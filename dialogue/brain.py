"""The dialogue brain Protocol: what the voice pipeline asks of whatever holds the conversation."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Protocol

from parley.dialogue.turn_end import Listening


class Brain(Protocol):
    @property
    def ended(self) -> bool:
        """The call is over (the caller said goodbye, or the brain gave up)."""

    @property
    def hand_over_to(self) -> str:
        """Where the caller asked to be put through to a person, once the call has ended so; else empty."""

    def greeting(self) -> str:
        """What to say when the call opens; empty for nothing."""

    def listening(self) -> Listening:
        """What the next user turn is expected to be, so the endpointer can wait the right time."""

    def pause_heard(self, ms: float) -> None:
        """The user paused this long inside a turn and went on: memory learns their pause habit."""

    def reply(self, transcript: str) -> AsyncGenerator[str, None]:
        """The reply to one user turn, as a stream of text chunks (the first one as early as possible)."""

    def reply_heard(self, text: str, heard: str, interrupted: bool = False, trace: dict | None = None) -> None:
        """What the user actually heard of a reply: all of it, or up to where they cut in."""

    def settle(self) -> None:
        """The reply to the last turn has played long enough to stand: what the turn held (a booking
        stored, a caller forgotten) is done now."""

    def withdraw(self) -> bool:
        """The caller went on just as the reply to the last turn began: take that turn back, as if
        never heard, with nothing it held done (the whole turn comes next). False when it cannot be."""

    def line_dropped(self) -> None:
        """The caller's connection dropped and they did not come back: the call ends, kept as dropped."""

    def backchannel_heard(self, text: str) -> None:
        """The user said this over a reply only to keep it going ("mhm"): no turn, but part of the call."""

    async def close(self) -> None:
        """The conversation is over."""
