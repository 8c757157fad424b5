"""The phone line in-process with the real models: keypad digits, hand-over (REFER), busy (486), a
caller hanging up mid-reply, audio that stops, malformed SIP, and Asterisk's AudioSocket."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from parley.dialogue.domain import load_domain
from parley.voice.app.measure.bad_line import BadLine, Impairment
from parley.voice.app.measure.sip_caller import SipCaller
from parley.voice.app.measure.voices import flite
from parley.voice.app.ops.drain import CALLS, drain_calls
from parley.voice.app.phone import audiosocket
from parley.voice.app.phone.line import PhoneLine

VOICE = "rms"  # CMU Flite's voice recorded from a person: not Parley's own, and understood over a phone line


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def said(text: str) -> np.ndarray:
    return flite(text, VOICE, 8000)


def open_day() -> str:
    """A weekday two to six days ahead on which the packaged restaurant is open (not Monday)."""
    today = load_domain().now().date()
    ahead = next(d for d in range(2, 7) if (today + timedelta(days=d)).weekday() != 0)
    return (today + timedelta(days=ahead)).strftime("%A")


@asynccontextmanager
async def line(config, engines, db, max_calls: int | None = None, rtp_timeout: float | None = None,
               host: str = "127.0.0.1"):
    """A phone line on a free port of `host`; `max_calls` and `rtp_timeout` stand in for their settings."""
    port = free_port()
    server = replace(config.server, max_sessions=max_calls or config.server.max_sessions)
    phone_settings = replace(config.phone, rtp_timeout=rtp_timeout or config.phone.rtp_timeout)
    phone = PhoneLine(replace(config, server=server, phone=phone_settings), engines, db, (host, port))
    await phone.start()
    try:
        yield port
    finally:
        await phone.stop()


async def dialled(port: int, **kwargs) -> SipCaller:
    caller = SipCaller(**{key: value for key, value in kwargs.items() if key == "number"})
    await caller.dial(port, free_port(), privacy=kwargs.get("privacy", ""), line=kwargs.get("line"))
    assert await caller.reply_after(0.0) is not None  # the greeting
    await caller.quiet(1.0)
    return caller


async def turn(caller: SipCaller, text: str) -> None:
    await caller.say(said(text))
    await caller.reply_after(time.monotonic())
    await caller.quiet(1.2)


def rows(db, query: str) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(query).fetchall()


def test_a_number_typed_on_the_keypad_is_taken_when_one_is_asked_for(config, engines, tmp_path):
    db = tmp_path / "phone.db"

    async def scenario():
        async with line(config, engines, db) as port:
            caller = await dialled(port, privacy="id")  # a withheld number: Parley must ask for one
            await turn(caller, f"I'd like a table for two on {open_day()} at seven pm.")
            await turn(caller, "My name is John Smith.")
            await caller.press("5557788#")
            await caller.reply_after(time.monotonic())
            await caller.quiet(1.2)
            await turn(caller, "Yes please.")
            await caller.hang_up()

    asyncio.run(scenario())
    assert rows(db, "select phone, party_size from reservations") == [("5557788", 2)]
    assert any("5 5 5 7 7 8 8" in text for (text,) in rows(db, "select text from turns where role = 'agent'"))


def test_a_table_is_booked_over_a_line_that_loses_delays_and_reorders_packets(config, engines, tmp_path):
    """Each way 3% of packets lost, in runs of two, up to 60 ms of jitter, 2% overtaken."""
    db, bad = tmp_path / "phone.db", BadLine(Impairment(loss_pct=3, burst=2, jitter_ms=60, reorder_pct=2, seed=7))

    async def scenario():
        async with line(config, engines, db) as port:
            caller = await dialled(port, line=bad)
            await turn(caller, f"I'd like a table for two on {open_day()} at seven pm.")
            await turn(caller, "My name is John Smith.")
            await turn(caller, "Yes please.")
            await caller.hang_up()
        bad.close()

    asyncio.run(scenario())
    turns = rows(db, "select role, text from turns")
    assert rows(db, "select phone, party_size from reservations") == [("5551234", 2)], turns
    assert bad.counts()["to_parley"]["lost"] > 10 and bad.counts()["to_phone"]["lost"] > 10


def test_asking_for_a_person_puts_the_call_through_to_the_staff_line(config, engines, tmp_path):
    restaurant = tmp_path / "restaurant.toml"
    restaurant.write_text('[phone]\nstaff = "201"\n')
    config = replace(config, dialogue=replace(config.dialogue, domain=str(restaurant)))
    db = tmp_path / "phone.db"

    async def scenario():
        async with line(config, engines, db) as port:
            caller = await dialled(port)
            await caller.say(said("Can I speak to someone, please?"))
            await asyncio.wait_for(caller.hung_up_on.wait(), 30)
            await caller.close()
            return caller.refer_to

    assert asyncio.run(scenario()) == "sip:201@127.0.0.1"
    agent = [text for (text,) in rows(db, "select text from turns where role = 'agent'")]
    assert "put you through" in agent[-1]


def test_beyond_max_calls_a_caller_hears_busy(config, engines, tmp_path):
    async def scenario():
        async with line(config, engines, tmp_path / "phone.db", max_calls=1) as port:
            first = await dialled(port)
            with pytest.raises(RuntimeError, match="486"):
                await SipCaller(number="5550000").dial(port, free_port())
            await first.hang_up()

    asyncio.run(scenario())


def test_a_stopping_line_answers_503_and_says_goodbye_to_a_call_that_outlasts_the_drain(config, engines, tmp_path):
    db = tmp_path / "phone.db"

    async def scenario():
        async with line(config, engines, db) as port:
            caller = await dialled(port)
            CALLS.draining = True
            try:
                with pytest.raises(RuntimeError, match="503"):
                    await SipCaller(number="5550000").dial(port, free_port())
                stopping = time.monotonic()
                await drain_calls(engines.tts, 0.5)
            finally:
                CALLS.draining = False
            goodbye = await caller.reply_after(stopping)
            await asyncio.wait_for(caller.hung_up_on.wait(), 10)  # Parley's BYE, after the goodbye
            return goodbye is not None

    assert asyncio.run(scenario())
    assert rows(db, "select count(*) from sessions where ended is not null") == [(1,)]


def test_a_caller_who_hangs_up_mid_reply_leaves_what_they_heard_in_memory(config, engines, tmp_path):
    db = tmp_path / "phone.db"

    async def scenario():
        async with line(config, engines, db) as port:
            caller = await dialled(port)
            started = await caller.reply_after(await caller.say(said("What are your opening hours on the weekend?")))
            assert started is not None
            await asyncio.sleep(1.0)
            await caller.hang_up()
            await asyncio.sleep(1.0)  # the line notices, and the brain closes

    asyncio.run(scenario())
    [(text, heard, interrupted)] = rows(db, "select text, heard, interrupted from turns where role = 'agent' "
                                           "order by id desc limit 1")
    assert interrupted and 0 < len(heard) < len(text)
    assert rows(db, "select count(*) from sessions where ended is null") == [(0,)]


def test_a_call_whose_audio_stops_is_hung_up(config, engines, tmp_path):
    async def scenario():
        async with line(config, engines, tmp_path / "phone.db", rtp_timeout=2.0) as port:
            caller = await dialled(port)
            caller._clock.cancel()  # the phone goes silent: no packets at all, as when a network drops
            await asyncio.wait_for(caller.hung_up_on.wait(), 10)
            await caller.close()

    asyncio.run(scenario())


def test_malformed_sip_gets_an_error_and_the_line_goes_on(config, engines, tmp_path):
    async def scenario():
        async with line(config, engines, tmp_path / "phone.db") as port:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.settimeout(5)
                probe.bind(("127.0.0.1", 0))
                me = probe.getsockname()[1]
                probe.sendto(b"\x00\xffnot sip at all\r\n\r\n", ("127.0.0.1", port))
                no_call_id = (f"INVITE sip:parley@127.0.0.1:{port} SIP/2.0\r\n"
                              f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK-1\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n"
                              f"To: <sip:parley@127.0.0.1>\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
                probe.sendto(no_call_id.encode(), ("127.0.0.1", port))
                refused = await asyncio.to_thread(probe.recv, 4096)
                options = (f"OPTIONS sip:parley@127.0.0.1:{port} SIP/2.0\r\n"
                           f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK-2\r\nFrom: <sip:a@127.0.0.1>;tag=2\r\n"
                           f"To: <sip:parley@127.0.0.1>\r\nCall-ID: ping-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
                           f"Content-Length: 0\r\n\r\n")
                probe.sendto(options.encode(), ("127.0.0.1", port))
                pong = await asyncio.to_thread(probe.recv, 4096)
            caller = await dialled(port)  # and a real call still goes through
            await caller.hang_up()
            return refused, pong

    refused, pong = asyncio.run(scenario())
    assert refused.startswith(b"SIP/2.0 400")
    assert pong.startswith(b"SIP/2.0 200")


def test_an_asterisk_audiosocket_call_is_answered_and_hung_up(config, engines, tmp_path):
    """A client that speaks the protocol as Asterisk's documentation gives it: type, length, payload."""
    db = tmp_path / "phone.db"
    question = said("What is your address?")

    async def scenario():
        sockets = audiosocket.AudioSocketLine(replace(config, server=replace(config.server, max_sessions=2)), engines, db)
        server = await asyncio.start_server(sockets.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"\x01\x00\x10" + uuid.uuid4().bytes)
        heard = bytearray()

        async def receive():
            while True:
                header = await reader.readexactly(3)
                payload = await reader.readexactly(int.from_bytes(header[1:], "big"))
                if header[0] == 0x00:
                    return
                assert header[0] == 0x10
                heard.extend(payload)

        receiving = asyncio.create_task(receive())
        silence = bytes(320)
        audio = np.concatenate([np.zeros(16000, np.int16), question, np.zeros(48000, np.int16)]).tobytes()
        for start in range(0, len(audio), 320):
            writer.write(b"\x10" + len(audio[start:start + 320]).to_bytes(2, "big") + audio[start:start + 320])
            await asyncio.sleep(0.02)
        writer.write(b"\x03\x00\x01" + b"5")  # a key where none is expected: ignored, the call goes on
        writer.write(b"\x10\x01\x40" + silence)
        writer.write(b"\x00\x00\x00")  # hang up
        await writer.drain()
        await asyncio.wait_for(receiving, 10)
        writer.close()
        server.close()
        return bytes(heard)

    heard = np.frombuffer(asyncio.run(scenario()), dtype="<i2")
    assert len(heard) > 8000 * 5 and np.abs(heard).max() > 3000  # Parley greeted and answered, out loud
    assert rows(db, "select transport, ended is not null from sessions") == [("phone", 1)]
    assert any("Harbour Street" in text for (text,) in rows(db, "select text from turns where role = 'agent'"))


def test_a_line_on_every_interface_names_the_address_each_caller_reached(config, engines, tmp_path):
    async def scenario():
        async with line(config, engines, tmp_path / "phone.db", host="0.0.0.0") as port:
            caller = await dialled(port)
            await caller.hang_up()
            return caller.call.sdp_answer.rtp_address, any(packet.loud for packet in caller.heard)

    (address, _), greeted = asyncio.run(scenario())
    assert address == "127.0.0.1" and greeted


def test_the_phone_bench_times_each_turn_at_the_phone_and_reads_what_was_heard(config, engines, tmp_path):
    from parley.voice.app.measure.phone_bench import call_through, heard_over_the_phone, server_latencies
    from parley.voice.app.measure.utterances import synthetic_utterances

    utterances = synthetic_utterances(engines, 2, config.audio.sample_rate)
    report = asyncio.run(call_through(config, engines, utterances, tmp_path / "bench.db"))
    assert report["turns_answered"] == 2 and report["calls"] == 1
    at_phone, at_server = report["rtp_turn_latency_ms"]["p50"], sorted(server_latencies(tmp_path / "bench.db"))
    assert len(at_server) == 2 and at_phone > at_server[0]  # the network's part comes on top of the server's
    assert "table" in heard_over_the_phone(tmp_path / "bench.db").lower()
