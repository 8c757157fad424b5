"""`parley edge satellite`: speech on the device, dialogue and memory on a server, nothing lost offline.

The device hears, transcribes and speaks; only text crosses the network (docs/protocol.md,
"Satellites"). Every turn is written to a journal on the device first and sent to the server
from there, so a turn said while the link was down reaches the server's memory when it returns,
in order, once. While the link is down the embedded brain answers, after a short cached phrase.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import sqlite3
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from parley.dialogue.brain import Brain
from parley.dialogue.turn_end import Listening
from parley.dialogue.types import Booking
from parley.voice import protocol

LINK_LOST = "Sorry, I've lost my line to the restaurant, but I can still help."
BOOKED_OFFLINE = "As my line to the restaurant is down, they'll confirm this booking with you when it's back."
BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0)  # between reconnection attempts, the last repeated
REPLY_SECONDS = 3.0  # a server that has sent nothing of a reply for this long is taken as gone

log = logging.getLogger(__name__)


class LinkDown(Exception):
    """The server cannot be reached, or went away in the middle of a reply."""


class Journal:
    """Every turn of the device, kept in SQLite until the server confirms it has it."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # no fsync per turn on the hot path; survives a killed process
        self.db.execute("create table if not exists meta (key text primary key, value text)")
        self.db.execute("create table if not exists records (id integer primary key, origin text unique, "
                        "turn text, acked integer default 0)")
        self.db.execute("insert or ignore into meta values ('instance', ?)", [secrets.token_hex(4)])
        self.instance = self.db.execute("select value from meta where key = 'instance'").fetchone()[0]

    def next_seq(self) -> int:
        (count,) = self.db.execute("select count(*) from records where origin like '%:user'").fetchone()
        return count + 1

    def add(self, seq: int, turn: dict, tag: str | None = None) -> None:
        """Journal a turn once; `tag` (default: the role) tells apart two records of one reply."""
        turn = {**turn, "at": datetime.now(timezone.utc).isoformat(timespec="milliseconds")}
        self.db.execute("insert or ignore into records (origin, turn) values (?, ?)",
                        [f"{self.instance}:{seq}:{tag or turn['role']}", json.dumps(turn)])

    def pending(self) -> list[tuple[str, dict]]:
        rows = self.db.execute("select origin, turn from records where acked = 0 order by id")
        return [(origin, json.loads(turn)) for origin, turn in rows]

    def acked(self, origin: str) -> None:
        self.db.execute("update records set acked = 1 where origin = ?", [origin])


class Link:
    """The WebSocket to `parley serve`, kept up with backoff; on each connection the journal's
    unsent turns go first, so the server stores them before anything new."""

    def __init__(self, url: str, device_id: str, token: str, journal: Journal):
        self.url = url
        self.device_id = device_id
        self.token = token
        self.journal = journal
        self.connected = asyncio.Event()
        self.drops = 0
        self._ws: ClientConnection | None = None
        self._replies: dict[int, asyncio.Queue] = {}
        self._sending = asyncio.Lock()
        self._sent: set[str] = set()  # origins sent on this connection, awaiting their ack
        self.last_end: protocol.ReplyEnd | None = None  # the server's end of the last reply

    async def run(self) -> None:
        """Connect, and reconnect whenever the link drops, until cancelled."""
        attempt = 0
        while True:
            try:
                async with connect(self.url, open_timeout=5, close_timeout=2) as ws:
                    await self._hello(ws)
                    attempt = 0
                    await self._serve(ws)
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError, LinkDown):
                pass
            finally:
                self._down()
            await asyncio.sleep(BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)])
            attempt += 1

    async def _hello(self, ws: ClientConnection) -> None:
        await ws.send(protocol.Hello(self.device_id, None, self.token).encode())
        try:
            ready = protocol.parse_for_satellite(await ws.recv(decode=True))
        except (protocol.ProtocolError, ValueError) as error:
            raise LinkDown(str(error)) from None
        if not isinstance(ready, protocol.Ready):
            raise LinkDown(f"expected ready, got {ready}")

    async def _serve(self, ws: ClientConnection) -> None:
        self._ws, self._sent = ws, set()
        await self.flush()  # what was said offline first, in order
        self.connected.set()
        async for frame in ws:
            try:
                self._dispatch(protocol.parse_for_satellite(frame if isinstance(frame, str) else frame.decode()))
            except (protocol.ProtocolError, ValueError) as error:
                log.warning("server message ignored: %s", error)

    def _dispatch(self, message: protocol.SatelliteMessage) -> None:
        if isinstance(message, protocol.Recorded):
            self.journal.acked(message.origin)
        elif isinstance(message, protocol.Agent | protocol.ReplyEnd) and message.seq in self._replies:
            self._replies[message.seq].put_nowait(message)

    def _down(self) -> None:
        task = asyncio.current_task()
        if self.connected.is_set() and not (task and task.cancelling()):  # closing is no drop
            self.drops += 1
        self._ws = None
        self.connected.clear()
        for queue in self._replies.values():
            queue.put_nowait(None)  # a reply being waited for will not come

    async def flush(self) -> None:
        """Send every journal record the server has not confirmed (each once per connection)."""
        async with self._sending:
            for origin, turn in self.journal.pending():
                if self._ws is None:
                    return
                if origin not in self._sent:
                    self._sent.add(origin)
                    await self._ws.send(protocol.Record(origin, turn).encode())

    async def ask(self, seq: int, text: str) -> AsyncIterator[str]:
        """The server's reply to one user turn, as it streams; LinkDown if it cannot finish."""
        if self._ws is None or not self.connected.is_set():
            raise LinkDown("offline")
        queue = self._replies[seq] = asyncio.Queue()
        try:
            await self._ws.send(protocol.UserTurn(seq, text).encode())
            while True:
                try:
                    async with asyncio.timeout(REPLY_SECONDS):  # not wait_for: it can swallow a cancel on 3.11
                        message = await queue.get()
                except TimeoutError:
                    message = None
                if message is None:
                    raise LinkDown("the server went away mid-reply")
                if isinstance(message, protocol.ReplyEnd):
                    self.last_end = message
                    return
                yield message.text
        except ConnectionClosed:
            raise LinkDown("the server went away mid-reply") from None
        finally:
            self._replies.pop(seq, None)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()


class OfflineBrain(Brain, Protocol):
    """The device's own brain: it can book while the server is away, and says what it booked."""

    @property
    def made(self) -> list[Booking]: ...


class SatelliteBrain:
    """The Brain a satellite's session talks to: the server's, through the link, or the embedded
    one on the device while the link is down. Every turn goes to the journal either way, and so
    does a booking taken offline: the server stores it once, flagged if its table went meanwhile."""

    def __init__(self, link: Link, journal: Journal, local: OfflineBrain):
        self.link = link
        self.journal = journal
        self.local = local
        self.offline_turns = 0
        self._seq = 0  # the greeting is turn 0
        self._listening = Listening()
        self._server_ended = False
        self._told_offline = False
        self._flushes: set[asyncio.Task] = set()
        self._backchannels = 0  # in this call: each is journaled under its own origin

    @property
    def ended(self) -> bool:
        return self._server_ended or self.local.ended

    @property
    def hand_over_to(self) -> str:
        return ""  # a satellite is a room's speaker, not a telephone: there is no call to put through

    def greeting(self) -> str:
        return self.local.greeting()

    def listening(self) -> Listening:
        return self._listening if self.link.connected.is_set() else self.local.listening()

    def pause_heard(self, ms: float) -> None:
        self.local.pause_heard(ms)

    async def reply(self, transcript: str) -> AsyncGenerator[str, None]:
        self._seq = seq = self.journal.next_seq()
        self.journal.add(seq, {"role": "user", "text": transcript, "heard": transcript})
        await self.link.flush()
        try:
            async for part in self.link.ask(seq, transcript):
                yield part
            end = self.link.last_end
            assert end is not None, "an answer the link finished ended with reply_end"
            self._listening, self._server_ended = Listening(expect=end.expect), end.ended
            self._told_offline = False
            return
        except LinkDown:
            pass
        self.offline_turns += 1
        if not self._told_offline:
            self._told_offline = True
            yield LINK_LOST + " "
        booked = len(self.local.made)
        async for part in self.local.reply(transcript):
            yield part
        for booking in self.local.made[booked:]:
            self._journal_booking(booking)
            yield BOOKED_OFFLINE + " "

    def _journal_booking(self, booking: Booking) -> None:
        fields = {"party_size": booking.party_size, "day": booking.day.isoformat(), "at": booking.at.strftime("%H:%M"),
                  "name": booking.name, "phone": booking.phone, "notes": list(booking.notes)}
        text = f"{booking.party_size} people on {fields['day']} at {fields['at']}, {booking.name}"
        self.journal.add(self._seq, {"role": "booking", "text": text, "booking": fields}, f"booking{booking.id}")
        self._send_journal()

    def reply_heard(self, text: str, heard: str, interrupted: bool = False, trace: dict | None = None) -> None:
        self.journal.add(self._seq, {"role": "agent", "text": text, "heard": heard, "interrupted": interrupted,
                                     "trace": trace})
        self._send_journal()

    def settle(self) -> None:
        self.local.settle()

    def line_dropped(self) -> None:
        self.local.line_dropped()

    def withdraw(self) -> bool:
        return False  # the server answered (and journaled) the turn: over the link it is a barge-in

    def backchannel_heard(self, text: str) -> None:
        self._backchannels += 1
        self.journal.add(self._seq, {"role": "backchannel", "text": text}, f"backchannel{self._backchannels}")
        self._send_journal()

    def _send_journal(self) -> None:
        flush = asyncio.get_running_loop().create_task(self.link.flush())
        self._flushes.add(flush)  # kept until done: a task nobody holds can be collected mid-way
        flush.add_done_callback(self._flushes.discard)

    async def close(self) -> None:
        if self._flushes:
            await asyncio.wait(self._flushes)
        await self.local.close()
