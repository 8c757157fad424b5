"""A satellite and a server on loopback: the server is killed mid-call and comes back; nothing is lost."""

import asyncio
import os
import socket
import sqlite3
import threading

from edge.run import run_satellite
from edge.satellite import LINK_LOST
from voice.app.measure.caller import ScriptedCaller
from voice.app.measure.load import start_server
from voice.audio import AudioFormat
from voice.events import AgentTextEvent, TranscriptEvent
from voice.streams import PacedSpeaker

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
