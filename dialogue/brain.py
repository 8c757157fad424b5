"""The dialogue brain Protocol, and a small honest brain that greets, echoes and says goodbye."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Protocol


class Brain(Protocol):
    def reply(self, transcript: str) -> AsyncIterator[str]:
        """The reply to one user turn, as a stream of text chunks (the first one as early as possible)."""


GREETING = re.compile(r"\b(hello|hi|hey|good (morning|afternoon|evening))\b")
GOODBYE = re.compile(r"\b(bye|goodbye|see you|that's all|that is all)\b")
THANKS = re.compile(r"\b(thanks|thank you|cheers)\b")


class EchoBrain:
    """Says back what it heard, so a caller can tell whether they were understood.

    It holds no booking logic: the reservation dialogue manager replaces it behind `Brain`.
    """

    def __init__(self, name: str = "Parley"):
        self.name = name

    async def reply(self, transcript: str) -> AsyncIterator[str]:
        for sentence in self._sentences(transcript):
            yield sentence + " "

    def _sentences(self, transcript: str) -> list[str]:
        heard = transcript.strip().rstrip(".!?")
        lowered = heard.lower()
        if GOODBYE.search(lowered):
            return ["Goodbye, thanks for calling."]
        if not heard:
            return ["Sorry, I didn't catch that.", "Could you say it again?"]
        opening = [f"Hello, this is {self.name}."] if GREETING.search(lowered) else []
        if THANKS.search(lowered) and len(lowered.split()) <= 4:
            return ["You're welcome.", "Anything else?"]
        return opening + [f"I heard: {heard}.", "What else can I do for you?"]
