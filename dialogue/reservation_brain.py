"""The reservation line behind the `Brain` Protocol: the dialogue manager, the bookings store and memory."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

from parley.dialogue.domain import Domain
from parley.dialogue.manager import DialogueManager
from parley.dialogue.moves import (
    Attention,
    Cancel,
    Commit,
    CommitFailed,
    Committed,
    EndCall,
    Forget,
    Forgotten,
    Move,
    Recognized,
    Say,
    UserSaid,
)
from parley.dialogue.turn_end import Listening
from parley.dialogue.types import (
    Booking,
    BookingStore,
    Calendar,
    Caller,
    CallRecord,
    Directory,
    StoreError,
)

T = TypeVar("T")

log = logging.getLogger(__name__)


class ReservationBrain:
    """One call. Database work runs on one writer thread (one connection, writes in order); what
    only memory needs (the turn record, facts learned) runs in the background, after the reply."""

    def __init__(self, domain: Domain, store: BookingStore, clock: Callable[[], datetime] | None = None,
                 call: CallRecord | None = None, caller: Caller | None = None, directory: Directory | None = None,
                 calendar: Calendar | None = None, phone_line: bool = False, spoken: bool = False):
        self.domain = domain
        self.store = store
        self.clock = clock or domain.now
        self.call = call
        # The manager reads on the event loop while the writer thread writes: given a calendar on a
        # connection of its own, a read never lands inside the writer's open transaction.
        self.manager = DialogueManager(domain, calendar or store, directory, caller, phone_line, spoken)
        self.ended = False
        self.hand_over_to = ""
        self.made: list[Booking] = []  # new bookings made in this call, in order
        self.memory_errors: list[str] = []
        self.memory_ms: list[float] = []  # how long each piece of background memory work took
        self._pauses: list[float] = []  # pauses inside the caller's turns this call
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="parley-db")
        self._background: set[asyncio.Future] = set()

    def greeting(self) -> str:
        return self.manager.greeting()

    def listening(self) -> Listening:
        return self.manager.listening()

    def pause_heard(self, ms: float) -> None:
        self._pauses.append(ms)

    def reply(self, transcript: str) -> AsyncGenerator[str, None]:
        return self.respond(UserSaid(transcript))

    async def respond(self, said: UserSaid) -> AsyncGenerator[str, None]:
        """Run the manager's actions for one caller turn, yielding what is to be said."""
        actions = self.manager.handle(said, self.clock())
        try:
            while actions:
                action, *actions = actions
                if isinstance(action, Say):
                    yield action.text + " "
                else:
                    actions = await self._act(action) + actions
        finally:  # even when cut off: the caller did say it
            if self.call:
                self._remember(self.call.caller_said, said.text, self.manager.state.heard)

    async def _act(self, action: Move) -> list[Move]:
        """Carry out one of the manager's non-speech actions; returns what the manager says next."""
        if isinstance(action, EndCall):
            self.ended, self.hand_over_to = True, action.hand_over_to
        elif isinstance(action, Commit):
            person = self.call.person_id if self.call else None
            made = await self._write(self.store.commit, action.booking, person)
            if not made:
                return self.manager.handle(CommitFailed(), self.clock())
            if action.booking.id is None:
                self.made.append(made)
            if self.call:
                self._remember(self.call.booked, made)
            return self.manager.handle(Committed(made), self.clock())
        elif isinstance(action, Cancel):
            await self._write(self.store.cancel, action.booking)
            return self.manager.handle(Committed(action.booking), self.clock())
        elif isinstance(action, Attention) and self.call:
            self._remember(self.call.needs_attention, action.reason)
        elif isinstance(action, Recognized) and self.call:
            self._remember(self.call.identified, action.caller.person_id)
        elif isinstance(action, Forget) and self.call:
            await self._write(self.call.forget)
            return self.manager.handle(Forgotten(), self.clock())
        return []

    def reply_heard(self, text: str, heard: str, interrupted: bool = False, trace: dict | None = None) -> None:
        """What the caller actually heard of a reply (less than was said when they cut in)."""
        if self.call:
            self._remember(self.call.agent_said, text, heard, interrupted, trace)

    def backchannel_heard(self, text: str) -> None:
        if self.call:
            self._remember(self.call.caller_backchanneled, text)

    async def record(self, turn: dict, origin: str) -> bool:
        """A turn a satellite recorded, stored once however often it is sent (on the writer thread)."""
        return self.call is not None and await self._write(self.call.record, turn, origin)

    async def close(self) -> None:
        """End the call: wait for memory writes, mark the session ended."""
        if self.call:
            if self._pauses:
                self._remember(self.call.paused, max(self._pauses))
            self._remember(self.call.end)
        if self._background:
            await asyncio.wait(self._background)
        self._writer.shutdown()

    async def _write(self, work: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writer, work, *args)

    def _remember(self, work: Callable[..., Any], *args: Any) -> None:
        """Memory work off the turn's critical path; a failure is reported, and the call goes on."""
        future = asyncio.get_running_loop().run_in_executor(self._writer, self._reported(work), *args)
        self._background.add(future)
        future.add_done_callback(self._background.discard)

    def _reported(self, work: Callable[..., Any]) -> Callable[..., None]:
        def run(*args: Any) -> None:
            started = time.perf_counter()
            try:
                work(*args)
            except (StoreError, sqlite3.Error) as error:
                self.memory_errors.append(str(error))
                log.warning("parley: memory not saved: %s", error)
            self.memory_ms.append((time.perf_counter() - started) * 1000)

        return run
