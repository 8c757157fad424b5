"""`parley serve` over a real WebSocket on loopback: a whole call, every bad input, a client that vanishes."""

import asyncio
import dataclasses
import json
import sqlite3
import subprocess
import sys
import urllib.request
from contextlib import asynccontextmanager

import numpy as np
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from parley.voice import protocol
from parley.voice.app.measure import client
from parley.voice.app.server import web as server
from parley.voice.app.server.web import ParleyServer, ServerOptions
from parley.voice.app.server.websocket_io import Outbox, WebSocketSpeaker
from parley.voice.audio import AudioChunk, AudioFormat, resample_chunk

HELLO = {"type": "hello", "version": 1, "client_id": "test-client", "audio": {"rate": 16000, "width": 2, "channels": 1}}
CHUNK = 320 * 2  # 20 ms at 16 kHz


@asynccontextmanager
async def running(config, engines, db, limits: dict | None = None, **options):
    """`parley serve` on a free port; `limits` overrides keys of the config's [server] table."""
    config = dataclasses.replace(config, server=dataclasses.replace(config.server, **(limits or {})))
    parley = ParleyServer(config, engines, db, ServerOptions(port=0, **options))
    async with server.listening(parley) as port:
        yield f"ws://127.0.0.1:{port}/ws"


async def recv_json(ws, kind: str, timeout: float = 10.0) -> dict:
    """The next text message of type `kind`, skipping audio and other messages."""
    async with asyncio.timeout(timeout):
        while True:
            message = await ws.recv()
            if isinstance(message, str) and json.loads(message)["type"] == kind:
                return json.loads(message)


async def close_code(ws, timeout: float = 5.0) -> int:
    async with asyncio.timeout(timeout):
        try:
            while True:
                await ws.recv()
        except ConnectionClosed:
            return ws.close_code


def rows(db, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchall()


def test_a_call_over_websocket_is_heard_answered_timed_and_remembered(config, engines, speak, tmp_path):
    db = tmp_path / "parley.db"
    lines = [speak("What time do you open on Sunday?", 1.1), speak("Goodbye.", 1.1)]

    async def scenario():
        async with running(config, engines, db) as url:
            first = await client.call(url, lines, "browser-1")
            second = await client.call(url, lines[1:], "browser-1")
            return first, second

    first, second = asyncio.run(scenario())
    finals = [m.text for m in first.of_type(protocol.Transcript) if m.final]
    assert "sunday" in finals[0].lower() and "goodbye" in finals[1].lower()
    said = " ".join(m.text for m in first.of_type(protocol.Said))
    assert "Sunday" in said and "Goodbye" in said
    assert len(first.server_latency_ms) == 2 and len(first.client_latency_ms) == 2
    assert first.audio_seconds > 3
    assert {"listening", "hearing", "thinking", "speaking"} <= {m.state for m in first.of_type(protocol.State)}
    assert first.of_type(protocol.End) and first.close_code == second.close_code == protocol.NORMAL
    # Both calls belong to one person, known by the browser's client id; every turn is stored.
    people = rows(db, "select distinct person_id from sessions where transport = 'websocket'")
    assert len(people) == 1 and people[0][0] is not None
    assert rows(db, "select kind, value from identities") == [("client", "browser-1")]
    roles = [role for (role,) in rows(db, "select role from turns where session_id = 1 order by id")]
    assert roles == ["agent", "user", "agent", "user", "agent"]


class Microphone:
    """A live microphone on the socket: 20 ms frames in real time, what is said, else quiet."""

    def __init__(self, ws):
        self.ws = ws
        self.pending = bytearray()

    def say(self, audio: np.ndarray) -> None:
        self.pending += audio.tobytes()

    async def run(self) -> None:
        while True:
            frame = bytes(self.pending[:CHUNK]).ljust(CHUNK, b"\0")
            del self.pending[:CHUNK]
            await self.ws.send(frame)
            await asyncio.sleep(0.02)


class Inbox:
    """Everything the server sent, as it arrives."""

    def __init__(self, ws):
        self.ws = ws
        self.messages: list[dict] = []
        self.audio_seconds = 0.0
        self.changed = asyncio.Event()

    async def run(self) -> None:
        async for message in self.ws:
            if isinstance(message, bytes):
                self.audio_seconds += len(message) / 2 / 22050
            else:
                self.messages.append(json.loads(message))
            self.changed.set()

    def states(self) -> list[str]:
        return [m["state"] for m in self.messages if m["type"] == "state"]

    async def until(self, condition, timeout: float = 20.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


def test_a_client_that_vanishes_mid_reply_and_does_not_come_back_leaves_what_it_heard_in_memory(config, engines, speak, tmp_path):
    db = tmp_path / "parley.db"
    question = speak("What are your opening hours?", 1.1)

    async def scenario():
        async with running(config, engines, db, {"resume_seconds": 0.5}) as url:
            async with connect(url) as ws:
                await ws.send(json.dumps(HELLO))
                inbox, mic = Inbox(ws), Microphone(ws)
                tasks = [asyncio.create_task(inbox.run()), asyncio.create_task(mic.run())]
                await inbox.until(lambda: inbox.states()[-2:] == ["speaking", "listening"])
                greeting = inbox.audio_seconds
                await ws.send(json.dumps({"type": "played", "seconds": greeting}))  # all of it
                mic.say(question)
                await inbox.until(lambda: inbox.audio_seconds > greeting)
                await asyncio.sleep(1.0)  # the reply plays for a second, slowed by a jitter buffer
                await ws.send(json.dumps({"type": "played", "seconds": greeting + 0.8}))
                await asyncio.sleep(0.05)
                ws.transport.abort()  # gone: no close frame, as when a tab is killed
                await asyncio.wait(tasks, timeout=1)
                for task in tasks:
                    task.cancel()
            await asyncio.sleep(1.0)  # not back within the half second the call was held for
            # The server goes on serving others.
            return await client.call(url, [speak("Goodbye.", 1.1)], "someone-else")

    other = asyncio.run(scenario())
    assert other.close_code == protocol.NORMAL
    turns = rows(db, "select role, text, heard, interrupted from turns where session_id = 1 order by id")
    assert [t[0] for t in turns] == ["agent", "user", "agent"]
    assert "hours" in turns[1][1].lower()
    _role, text, heard, interrupted = turns[2]
    assert interrupted == 1 and heard and len(heard.split()) < len(text.split()) / 2
    assert text.startswith(heard)
    assert rows(db, "select count(*) from sessions where ended is not null") == [(2,)]
    assert rows(db, "select attention from sessions where id = 1") == [("the line dropped and the caller did not come back",)]


async def on_the_line(url: str, hello: dict):
    """A connection that has said hello, with its microphone and inbox running."""
    ws = await connect(url)
    await ws.send(json.dumps(hello))
    inbox, mic = Inbox(ws), Microphone(ws)
    tasks = [asyncio.create_task(inbox.run()), asyncio.create_task(mic.run())]
    await inbox.until(lambda: any(m["type"] == "ready" for m in inbox.messages))
    return ws, inbox, mic, tasks


async def answered(inbox: Inbox, mic: Microphone, line: np.ndarray) -> None:
    """Say a line; back once its answer has been said and Parley listens again."""
    replies = len([m for m in inbox.messages if m["type"] == "turn"])
    mic.say(line)
    await inbox.until(lambda: len([m for m in inbox.messages if m["type"] == "turn"]) > replies, 30)
    await inbox.until(lambda: inbox.states()[-1:] == ["listening"], 30)


def test_a_call_whose_connection_drops_is_taken_up_again_and_books(config, engines, speak, tmp_path):
    """A real WebSocket dropped without a close frame (a phone changing networks) after the first
    line; a new one says hello with the session id, and the booking goes on where it was."""
    db = tmp_path / "parley.db"
    lines = [speak(text, 1.1) for text in ("I'd like a table for two tomorrow at seven pm.", "My name is John Smith.",
                                            "My number is five five five, one two three four.", "Yes please.")]

    async def scenario():
        async with running(config, engines, db) as url:
            ws, inbox, mic, tasks = await on_the_line(url, HELLO)
            session = next(m["session"] for m in inbox.messages if m["type"] == "ready")
            await inbox.until(lambda: inbox.states()[-2:] == ["speaking", "listening"])  # the greeting
            await answered(inbox, mic, lines[0])
            ws.transport.abort()
            for task in tasks:
                task.cancel()
            ws, inbox, mic, tasks = await on_the_line(url, {**HELLO, "resume": session})
            resumed = next(m["session"] for m in inbox.messages if m["type"] == "ready")
            for line in lines[1:]:
                await answered(inbox, mic, line)
            await ws.send(json.dumps({"type": "bye"}))
            await ws.close()
            for task in tasks:
                task.cancel()
            async with connect(url) as late:  # that call is over: it cannot be taken up again
                await late.send(json.dumps({**HELLO, "resume": session}))
                over = await recv_json(late, "error")
            return session, resumed, over

    session, resumed, over = asyncio.run(scenario())
    assert resumed == session and over["code"] == "call_over"
    assert rows(db, "select name, party_size from reservations") == [("John Smith", 2)]
    assert rows(db, "select count(*) from sessions") == [(1,)]
    said = [text for (text,) in rows(db, "select text from turns where role = 'user' order by id")]
    assert len(said) == 4 and "seven" in said[0].lower() and "smith" in said[1].lower()


@pytest.mark.parametrize("first, error, code", [
    (b"\x00" * CHUNK, "hello_required", protocol.PROTOCOL_ERROR),
    ({**HELLO, "audio": {"rate": 12345, "width": 2, "channels": 1}}, "bad_audio", protocol.UNSUPPORTED_AUDIO),
    ({**HELLO, "audio": {"rate": 16000, "width": 2, "channels": 2}}, "bad_audio", protocol.UNSUPPORTED_AUDIO),
    ({**HELLO, "version": 99}, "bad_version", protocol.PROTOCOL_ERROR),
    ({**HELLO, "client_id": "no spaces allowed"}, "bad_client_id", protocol.PROTOCOL_ERROR),
])
def test_what_makes_the_stream_meaningless_is_refused_with_a_reason_and_a_close_code(config, engines, tmp_path,
                                                                                       first, error, code):
    async def scenario():
        async with running(config, engines, tmp_path / "p.db") as url, connect(url) as ws:
            await ws.send(first if isinstance(first, bytes) else json.dumps(first))
            message = await recv_json(ws, "error")
            return message, await close_code(ws)

    message, closed_with = asyncio.run(scenario())
    assert message["code"] == error and message["fatal"] and message["message"]
    assert closed_with == code


def test_broken_messages_get_an_error_and_the_session_goes_on(config, engines, tmp_path):
    async def scenario():
        async with running(config, engines, tmp_path / "p.db") as url, connect(url) as ws:
            await ws.send("{not json")
            before_hello = await recv_json(ws, "error")
            await ws.send(json.dumps(HELLO))
            await recv_json(ws, "ready")
            errors = []
            for message in ("[1, 2]", json.dumps({"type": "dance"}), json.dumps({"type": "played", "seconds": -1}),
                            json.dumps(HELLO), json.dumps({"type": "user_turn", "seq": 1, "text": "hi"})):
                await ws.send(message)
                errors.append((await recv_json(ws, "error"))["code"])
            await ws.send(bytes(CHUNK + 1))  # an odd byte count: half a sample, kept for the next frame
            await ws.send(json.dumps({"type": "bye"}))
            return before_hello, errors, await close_code(ws)

    before_hello, errors, closed_with = asyncio.run(scenario())
    assert before_hello["code"] == "bad_json" and not before_hello["fatal"]
    assert errors == ["bad_message", "unknown_type", "bad_message", "second_hello", "satellite_only"]
    assert closed_with == protocol.NORMAL


def test_oversized_frames_slow_hellos_wrong_tokens_and_strange_origins_are_refused(config, engines, tmp_path,
                                                                                  monkeypatch):
    monkeypatch.setattr(server, "HELLO_SECONDS", 0.3)

    async def scenario():
        codes = {}
        async with running(config, engines, tmp_path / "p.db", token="s3cret") as url:
            async with connect(url, max_size=None) as ws:
                await ws.send(b"\x00" * (server.MAX_MESSAGE_BYTES + 2))
                codes["oversized"] = await close_code(ws)
            async with connect(url) as ws:
                codes["no hello"] = await close_code(ws)
            async with connect(url) as ws:
                await ws.send(json.dumps({**HELLO, "token": "guess"}))
                codes["wrong token"] = await close_code(ws)
            async with connect(url + "?token=s3cret") as ws:
                await ws.send(json.dumps(HELLO))
                codes["token in the URL"] = (await recv_json(ws, "ready"))["type"]
            with pytest.raises(InvalidStatus) as refused:
                async with connect(url, origin="http://evil.example"):
                    pass
            codes["other origin"] = refused.value.response.status_code
        return codes

    assert asyncio.run(scenario()) == {"oversized": 1009, "no hello": protocol.POLICY,
                                       "wrong token": protocol.POLICY, "token in the URL": "ready",
                                       "other origin": 403}


def test_a_caller_beyond_capacity_hears_the_lines_are_busy_and_the_others_go_on(config, engines, tmp_path):
    async def scenario():
        async with running(config, engines, tmp_path / "p.db", {"max_sessions": 1}) as url, connect(url) as first:
            await first.send(json.dumps(HELLO))
            await recv_json(first, "ready")
            async with connect(url) as second:
                await second.send(json.dumps({**HELLO, "client_id": "second-caller"}))
                ready = json.loads(await second.recv())
                audio, error = bytearray(), None
                while error is None:
                    message = await second.recv()
                    if isinstance(message, bytes):
                        audio.extend(message)
                    else:
                        error = json.loads(message)
                code = await close_code(second)
            await first.send(json.dumps({"type": "bye"}))  # the call in progress was never disturbed: it ends as asked
            return ready, bytes(audio), error, code, await close_code(first)

    ready, audio, error, code, still_served = asyncio.run(scenario())
    rate = ready["audio"]["rate"]
    heard = engines.stt.transcribe(resample_chunk(AudioChunk(audio, AudioFormat(rate)), 16000))
    assert "busy" in heard.lower() and error["code"] == "server_full" and code == protocol.TRY_AGAIN_LATER
    assert still_served == protocol.NORMAL


def test_connections_per_address_and_calls_per_client_id_are_bounded(config, engines, tmp_path):
    limits = {"max_per_address": 2, "max_per_client": 1}

    async def scenario():
        async with running(config, engines, tmp_path / "p.db", limits) as url, connect(url) as first:
            await first.send(json.dumps(HELLO))
            await recv_json(first, "ready")
            async with connect(url) as same_client:  # the address's second connection: allowed
                await same_client.send(json.dumps(HELLO))
                refused = await recv_json(same_client, "error")
                client_code = await close_code(same_client)
            async with connect(url) as other, connect(url) as third:  # the address's third: refused
                await other.send(json.dumps({**HELLO, "client_id": "another-client"}))
                await recv_json(other, "ready")
                address_code = await close_code(third)
            return refused["code"], client_code, address_code

    assert asyncio.run(scenario()) == ("too_many_sessions", protocol.TRY_AGAIN_LATER, protocol.TRY_AGAIN_LATER)


def test_a_client_that_floods_is_closed_and_another_call_goes_on(config, engines, tmp_path):
    async def scenario():
        async with running(config, engines, tmp_path / "p.db", {"max_messages_per_second": 50}) as url, \
                connect(url) as calm, connect(url) as flood:
            await calm.send(json.dumps(HELLO))
            await flood.send(json.dumps({**HELLO, "client_id": "flooder"}))
            await recv_json(calm, "ready")
            await recv_json(flood, "ready")
            for _ in range(400):  # 400 frames at once, twice what 2 s at 50 a second allow
                await flood.send(bytes(CHUNK))
            flood_code = await close_code(flood)
            await calm.send(json.dumps({"type": "nonsense"}))
            still_answered = await recv_json(calm, "error")
            return flood_code, still_answered["code"]

    assert asyncio.run(scenario()) == (protocol.POLICY, "unknown_type")


def test_the_page_and_its_scripts_are_served_on_the_same_port(config, engines, tmp_path):
    async def scenario():
        async with running(config, engines, tmp_path / "p.db") as url:
            base = url.replace("ws://", "http://").removesuffix("/ws")

            def fetch(path):
                try:
                    with urllib.request.urlopen(base + path) as response:
                        return response.status, response.headers["Content-Type"], response.read().decode()
                except urllib.error.HTTPError as error:
                    return error.code, None, ""

            return [await asyncio.to_thread(fetch, path) for path in ("/", "/parley.js", "/capture.js", "/nope")]

    page, script, worklet, missing = asyncio.run(scenario())
    assert page[0] == 200 and page[1].startswith("text/html") and 'id="talk"' in page[2]
    assert script[0] == 200 and "javascript" in script[1] and "hello" in script[2]
    assert worklet[0] == 200 and "registerProcessor" in worklet[2]
    assert missing[0] == 404


def test_off_loopback_needs_a_token():
    with pytest.raises(Exception, match="PARLEY_TOKEN"):
        ServerOptions(host="0.0.0.0").check()
    ServerOptions(host="0.0.0.0", token="x").check()
    ServerOptions(host="127.0.0.1").check()


def test_the_client_side_player_counts_what_was_played():
    async def scenario():
        player = client.ClientPlayer(16000)
        player.enqueue(np.zeros(8000, dtype=np.int16).tobytes())  # half a second
        await asyncio.sleep(0.2)
        mid = player.played()
        player.flush(0.2)
        return mid, player.busy(), player.handed_seconds

    mid, busy, handed = asyncio.run(scenario())
    assert 0.15 < mid < 0.5 and not busy and handed == 0.2


@pytest.mark.system
def test_bench_with_clients_answers_every_turn_of_every_client():
    result = subprocess.run([sys.executable, "-m", "parley.voice.app.cli", "bench", "--clients", "2", "--turns", "2", "--json"],
                            capture_output=True, text=True, timeout=400)
    assert result.returncode == 0, result.stderr
    runs = json.loads(result.stdout)["runs"]
    assert [run["clients"] for run in runs] == [1, 2]
    for run in runs:
        assert run["turns"] == run["turns_expected"] and not run["errors"]
        assert run["client_latency_ms"]["p50"] > 0 and run["turn_latency_ms"]["p50"] > 0


@pytest.mark.system
def test_a_soak_reports_the_server_window_by_window():
    result = subprocess.run([sys.executable, "-m", "parley.voice.app.cli", "bench", "--clients", "2", "--minutes", "0.6",
                             "--turns", "2", "--json"], capture_output=True, text=True, timeout=400)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    windows = report["windows"]
    assert len(windows) == 6 and sum(w["calls"] for w in windows) >= 2 and sum(w["turns"] for w in windows) >= 4
    for window in windows:
        assert window["rss_mb"] > 50 and window["open_files"] > 3 and window["threads"] > 1 and window["db_kb"] > 0
    assert report["rss_drift"] is not None


def test_the_server_side_speaker_believes_the_client_but_never_past_what_could_have_played():
    async def scenario():
        speaker = WebSocketSpeaker(Outbox(), AudioFormat(16000), ahead_seconds=10)
        await speaker.play(AudioChunk(bytes(32000)))  # one second of audio, sent at once
        at_once = speaker.played_seconds()  # none of it can have played yet
        await asyncio.sleep(0.3)
        speaker.report(0.1)  # the client is behind: its jitter buffer
        reported = speaker.played_seconds()
        dropped = speaker.flush()
        return at_once, reported, dropped, speaker.busy()

    at_once, reported, dropped, busy = asyncio.run(scenario())
    assert at_once < 0.05 and 0.09 < reported < 0.15 and 0.85 < dropped < 0.91 and not busy


def test_every_message_a_client_or_satellite_sends_encodes_to_what_the_server_parses():
    from parley.voice.audio import AudioFormat
    from parley.voice.protocol import Bye, Hello, Played, Record, UserTurn, parse

    sent = [Hello("browser-1", AudioFormat(48000), "t0k3n"), Hello("satellite-kitchen", None, "t0k3n"),
            Played(2.5), Bye(), UserTurn(3, "A table for two."),
            Record("7:3:user", {"role": "user", "text": "A table for two.", "heard": "A table for two."})]
    assert [parse(message.encode()) for message in sent] == sent


def test_every_message_a_satellite_receives_decodes_to_its_type_and_an_error_says_why():
    import pytest

    from parley.voice.protocol import (
        Agent,
        ProtocolError,
        Ready,
        Recorded,
        ReplyEnd,
        parse_for_satellite,
    )

    received = [Ready("s1", None), Agent(3, "For two, "), ReplyEnd(3, "yes_no", False), Recorded("7:3:user")]
    assert [parse_for_satellite(message.encode()) for message in received] == received
    with pytest.raises(ProtocolError, match="a valid access token is required"):
        parse_for_satellite('{"type": "error", "code": "bad_token", "message": "a valid access token is required"}')
    with pytest.raises(ProtocolError, match="not a message for a satellite"):
        parse_for_satellite('{"type": "agent", "text": "no seq"}')


def test_every_message_to_a_client_decodes_to_what_was_encoded():
    from parley.voice.audio import AudioFormat
    sent = [protocol.Ready("s1", AudioFormat(22050)), protocol.State("hearing"), protocol.Transcript("Hi", final=False),
            protocol.Said("Hello."), protocol.TurnTimed({"total_ms": 420.0}), protocol.BargeIn("Hel"),
            protocol.Flush(1.25), protocol.End(), protocol.ErrorMessage("turn_failed", "boom", fatal=False),
            protocol.Duck(0.3), protocol.Backchannel("Mhm.")]
    for message in sent:
        assert protocol.parse_for_client(message.encode()) == message
    for broken in ("{", '{"type": "nope"}', '{"type": "state"}', '{"type": "flush", "played": 1, "x": 2}', "[]"):
        with pytest.raises(protocol.ProtocolError):
            protocol.parse_for_client(broken)
