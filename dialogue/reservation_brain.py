"""The reservation line behind the `Brain` Protocol: the dialogue manager plus the bookings store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from dialogue import phrases
from dialogue.domain import Domain
from dialogue.manager import Cancel, Commit, CommitFailed, DialogueManager, EndCall, Say, UserSaid
from memory.reservations import ReservationStore


class ReservationBrain:
    def __init__(self, domain: Domain, store: ReservationStore, clock: Callable[[], datetime] = datetime.now):
        self.domain = domain
        self.store = store
        self.clock = clock
        self.manager = DialogueManager(domain, store)
        self.ended = False

    def greeting(self) -> str:
        return phrases.greeting(self.domain)

    def reply(self, transcript: str) -> AsyncIterator[str]:
        return self.respond(UserSaid(transcript))

    async def respond(self, said: UserSaid) -> AsyncIterator[str]:
        """Run the manager's actions for one caller turn, yielding what is to be said."""
        actions = self.manager.handle(said, self.clock())
        while actions:
            action, *actions = actions
            if isinstance(action, Say):
                yield action.text + " "
            elif isinstance(action, EndCall):
                self.ended = True
            elif isinstance(action, Commit):
                made = await asyncio.to_thread(self.store.commit, action.booking)
                follow = self.manager.committed(made) if made else self.manager.handle(CommitFailed(), self.clock())
                actions = follow + actions
            elif isinstance(action, Cancel):
                await asyncio.to_thread(self.store.cancel, action.booking)
                actions = self.manager.committed(action.booking) + actions
