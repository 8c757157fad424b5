"""The reservation line behind the `Brain` Protocol: the dialogue manager, the bookings store and memory."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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
from parley.dialogue.state import CallState
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


@dataclass(frozen=True)
class Before:
    """The call as it was before the turn being answered, while its reply can still be taken back."""

    state: CallState
    ended: bool
    hand_over_to: str


class ReservationBrain:
    """One call. Database work runs on one writer thread (one connection, writes in order); what
    only memory needs (the turn record, facts learned) runs in the background, after the reply.

    With `holds_effects` (a live voice session, which may take a reply back when the caller goes on)
    what a turn does outside the conversation, a booking stored, changed or cancelled, a caller
    forgotten, the turn's own record, is held until `settle` (the reply was heard long enough) and
    dropped by `withdraw`; a new turn and `close` settle what is still held."""

    def __init__(self, domain: Domain, store: BookingStore, clock: Callable[[], datetime] | None = None,
                 call: CallRecord | None = None, caller: Caller | None = None, directory: Directory | None = None,
                 calendar: Calendar | None = None, phone_line: bool = False, spoken: bool = False,
                 holds_effects: bool = False):
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
        self.holds_effects = holds_effects
        self._before: Before | None = None  # set while a turn's effects are held
        self._withdrawn: Before | None = None  # the last turn taken back (its reply may still be closing)
        self._held: list[tuple[Callable[..., Any], tuple]] = []

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
        self.settle()  # a new turn: the last reply stands
        before = Before(self.manager.state.snapshot(), self.ended, self.hand_over_to) if self.holds_effects else None
        self._before = before
        actions = self.manager.handle(said, self.clock())
        try:
            while actions:
                action, *actions = actions
                if isinstance(action, Say):
                    yield action.text + " "
                else:
                    actions = await self._act(action) + actions
        finally:  # even when cut off, the caller did say it; not when it was taken back (said again, whole)
            if self.call and (before is None or self._withdrawn is not before):
                self._effect(self.call.caller_said, said.text, self.manager.state.heard)

    def settle(self) -> None:
        """The reply to the last turn stands: what the turn held is done now, in order."""
        held, self._held, self._before = self._held, [], None
        for work, args in held:
            self._remember(work, *args)

    def line_dropped(self) -> None:
        """Flag the call for staff: a caller cut off may not know whether their booking was made."""
        if self.call:
            self._remember(self.call.needs_attention, "the line dropped and the caller did not come back")

    def withdraw(self) -> bool:
        """Take the last turn back (the caller went on): the call as before it, and nothing it held
        happens. False when there is nothing to take back (no turn held, or it stands already)."""
        if self._before is None:
            return False
        before, self._before, self._held = self._before, None, []
        self._withdrawn = before
        self.manager.restore(before.state)
        self.ended, self.hand_over_to = before.ended, before.hand_over_to
        return True

    async def _act(self, action: Move) -> list[Move]:
        """Carry out one of the manager's non-speech actions; returns what the manager says next."""
        if isinstance(action, EndCall):
            self.ended, self.hand_over_to = True, action.hand_over_to
        elif isinstance(action, Commit):
            return await self._commit(action.booking)
        elif isinstance(action, Cancel):
            await self._write_or_hold(self.store.cancel, action.booking)
            return self.manager.handle(Committed(action.booking), self.clock())
        elif isinstance(action, Attention) and self.call:
            self._effect(self.call.needs_attention, action.reason)
        elif isinstance(action, Recognized) and self.call:
            self._effect(self.call.identified, action.caller.person_id)
        elif isinstance(action, Forget) and self.call:
            await self._write_or_hold(self.call.forget)
            return self.manager.handle(Forgotten(), self.clock())
        return []

    async def _commit(self, booking: Booking) -> list[Move]:
        """Store the booking (held: once a table is seen to be free, stored when the reply stands)."""
        if self._before is not None:
            if self.manager.calendar.free_tables(booking.day, booking.at, booking.id) < 1:
                return self.manager.handle(CommitFailed(), self.clock())
            self._held.append((self._store_booking, (booking,)))
            return self.manager.handle(Committed(booking), self.clock())
        person = self.call.person_id if self.call else None
        made = await self._write(self.store.commit, booking, person)
        if not made:
            return self.manager.handle(CommitFailed(), self.clock())
        if booking.id is None:
            self.made.append(made)
        if self.call:
            self._remember(self.call.booked, made)
        return self.manager.handle(Committed(made), self.clock())

    def _store_booking(self, booking: Booking) -> None:
        """A held booking, stored on the writer thread. If its table went in the moments it was held
        (another caller), the staff are asked to call the guest."""
        made = self.store.commit(booking, self.call.person_id if self.call else None)
        if made is not None and booking.id is None:
            self.made.append(made)
        if self.call and made is not None:
            self.call.booked(made)
        elif self.call:
            self.call.needs_attention(f"told the caller {booking.name} was booked for {booking.party_size} on "
                                      f"{booking.day} at {booking.at}, but that table went meanwhile: call the guest")

    async def _write_or_hold(self, work: Callable[..., Any], *args: Any) -> None:
        if self._before is not None:
            self._held.append((work, args))
        else:
            await self._write(work, *args)

    def reply_heard(self, text: str, heard: str, interrupted: bool = False, trace: dict | None = None) -> None:
        """What the caller actually heard of a reply (less than was said when they cut in)."""
        if self.call:
            self._remember(self.call.agent_said, text, heard, interrupted, trace)

    def backchannel_heard(self, text: str) -> None:
        if self.call:
            self._effect(self.call.caller_backchanneled, text)

    async def record(self, turn: dict, origin: str) -> bool:
        """A turn a satellite recorded, stored once however often it is sent (on the writer thread)."""
        return self.call is not None and await self._write(self.call.record, turn, origin)

    async def close(self) -> None:
        """End the call: wait for memory writes, mark the session ended."""
        self.settle()
        if self.call:
            if self._pauses:
                self._remember(self.call.paused, max(self._pauses))
            self._remember(self.call.end)
        if self._background:
            await asyncio.wait(self._background)
        self._writer.shutdown()

    async def _write(self, work: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writer, work, *args)

    def _effect(self, work: Callable[..., Any], *args: Any) -> None:
        """Memory work the turn does: held with the turn's other effects while it can be taken back."""
        if self._before is not None:
            self._held.append((work, args))
        else:
            self._remember(work, *args)

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
