"""A satellite and a server on loopback: the server is killed mid-call and comes back; nothing is lost."""

import asyncio
import os
import socket
import sqlite3
import threading

from parley.edge.run import run_satellite
from parley.edge.satellite import BOOKED_OFFLINE, LINK_LOST
from parley.voice.app.measure.caller import ScriptedCaller
from parley.voice.app.measure.load import start_server
from parley.voice.audio import AudioFormat
from parley.voice.events import AgentTextEvent, TranscriptEvent
from parley.voice.streams import PacedSpeaker

TOKEN = "satellite-secret"
LINES = ("What time do you open on Sunday?", "What is your address?", "Are you open on Monday?",
         "What are your opening hours?", "Thank you, goodbye.")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`parley serve` in its own process on a fixed port, so it can be killed outright and come back there."""

    def __init__(self, db, port):
        self.db, self.port = db, port
        self.process = None

    def start(self) -> None:
        self.process, _url = start_server(None, self.db, {**os.environ, "PARLEY_TOKEN": TOKEN}, port=self.port)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


def test_turns_said_while_the_server_was_down_reach_its_memory_once_and_in_order(config, engines, speak, tmp_path):
    port, server_db = free_port(), tmp_path / "server.db"
    server = Server(server_db, port)
    server.start()
    heard = []

    def on_event(event) -> None:
        if isinstance(event, TranscriptEvent):
            heard.append(event.text)
            if len(heard) == 3:  # the third turn is on its way to the server: the server dies
                server.kill()
                threading.Thread(target=server.start, daemon=True).start()
        if isinstance(event, AgentTextEvent):
            said.append(event.text)

    said: list[str] = []

    async def call():
        speaker = PacedSpeaker(AudioFormat(16000), 2.0)
        caller = ScriptedCaller([speak(line, 1.1) for line in LINES], speaker, greeted=True)
        return await run_satellite(config, engines, caller, speaker, f"ws://127.0.0.1:{port}/ws", "kitchen-pi",
                                   TOKEN, tmp_path / "device", on_event, drain_seconds=60)

    try:
        brain = asyncio.run(call())
    finally:
        server.kill()
    assert len(heard) == 5, heard
    assert brain.link.drops >= 1 and brain.offline_turns >= 1
    assert sum(LINK_LOST.split(",")[0] in piece for piece in said) == 1  # told once, in the cached phrase
    assert brain.journal.pending() == []
    with sqlite3.connect(server_db) as db:
        rows = db.execute("select origin, role, text from turns where origin is not null order by id").fetchall()
    order = [(int(origin.split(":")[-2]), role) for origin, role, _text in rows]
    expected = [(0, "agent")] + [(seq, role) for seq in range(1, 6) for role in ("user", "agent")]
    assert order == expected, rows
    assert [text for _origin, role, text in rows if role == "user"] == heard


def booking_offline(config, engines, speak, home, port, day) -> list[str]:
    """A caller books on the satellite while the server is down; the server comes back once the
    booking is made (and the caller told it awaits the restaurant). What Parley said."""
    server = Server(home.parent / "server.db", port)
    said: list[str] = []

    def on_event(event) -> None:
        if isinstance(event, AgentTextEvent):
            said.append(event.text)
            if BOOKED_OFFLINE.split(",")[0] in event.text:
                threading.Thread(target=server.start, daemon=True).start()

    lines = [f"I'd like a table for two on {day:%A} at seven pm.", "My name is John Smith.",
             "My number is five five five, one two three four.", "Yes please."]

    async def call():
        speaker = PacedSpeaker(AudioFormat(16000), 2.0)
        caller = ScriptedCaller([speak(line, 1.1) for line in lines], speaker, greeted=True)
        return await run_satellite(config, engines, caller, speaker, f"ws://127.0.0.1:{port}/ws", "kitchen-pi",
                                   TOKEN, home, on_event, drain_seconds=90)

    try:
        brain = asyncio.run(call())
    finally:
        if server.process is not None:
            server.kill()
    assert brain.journal.pending() == []  # the server has every record, the booking's included
    return said


def test_a_booking_taken_offline_reaches_the_server_once_and_is_flagged_if_its_table_went(config, engines, speak,
                                                                                          tmp_path):
    from datetime import time, timedelta

    from parley.dialogue.domain import load_domain
    from parley.dialogue.types import Booking
    from parley.memory.db import open_db
    from parley.memory.reservations import ReservationStore

    today = load_domain().now().date()
    day = next(today + timedelta(days=d) for d in range(2, 8) if (today + timedelta(days=d)).weekday())
    said = booking_offline(config, engines, speak, tmp_path / "first" / "device", free_port(), day)
    assert any(BOOKED_OFFLINE.split(",")[0] in text for text in said)
    with sqlite3.connect(tmp_path / "first" / "server.db") as db:
        assert db.execute("select party_size, name, phone, made_via, flag from reservations").fetchall() == [
            (2, "John Smith", "5551234", "satellite-offline", None)]

    (tmp_path / "second").mkdir()
    store = ReservationStore(open_db(tmp_path / "second" / "server.db"), 4, "phone")
    for guest in range(4):  # every table at seven went to phone callers while the satellite was cut off
        store.commit(Booking(2, day, time(19), f"Guest {guest}", "5550000"))
    booking_offline(config, engines, speak, tmp_path / "second" / "device", free_port(), day)
    with sqlite3.connect(tmp_path / "second" / "server.db") as db:
        [(flag,)] = db.execute("select flag from reservations where name = 'John Smith'").fetchall()
    assert "went meanwhile" in flag
