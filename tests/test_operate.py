"""`parley serve` run as a service: SIGTERM drains (the reply finishes, newcomers are refused, the
call is stored), probes, Prometheus metrics, and JSON logs that name the call and keep no words."""

import asyncio
import json
import logging
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import asynccontextmanager

import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect

from parley.voice import protocol
from parley.voice.app.measure import client
from parley.voice.app.ops.logs import CONTENT, CallFilter, JsonFormatter, in_call
from tests.test_server import HELLO, Inbox, Microphone, close_code, rows


class Served:
    """`parley serve` in its own process, as systemd runs it: stderr is a file, not a terminal."""

    def __init__(self, tmp_path, toml: str = ""):
        self.db, self.log = tmp_path / "parley.db", tmp_path / "parley.log"
        config = tmp_path / "service.toml"
        config.write_text(toml)
        command = [sys.executable, "-m", "parley.voice.app.cli", "--db", str(self.db), "--config", str(config),
                   "serve", "--port", "0"]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self.log.open("w"), text=True)
        for line in self.process.stdout:
            found = re.search(r"http://([^/]+)/", line)
            if found:
                self.http, self.ws = f"http://{found.group(1)}", f"ws://{found.group(1)}/ws"
                return
        raise RuntimeError(f"parley serve exited with {self.process.wait()}: {self.log.read_text()}")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.http + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def log_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.startswith("{")]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(60)


async def report_played(ws, inbox: Inbox) -> None:
    """A browser tells the server what it has played: here, all it was sent, every 200 ms."""
    while True:
        await ws.send(json.dumps({"type": "played", "seconds": round(inbox.audio_seconds, 3)}))
        await asyncio.sleep(0.2)


@asynccontextmanager
async def greeted(url: str):
    """A browser on a call whose greeting has played: its socket, inbox and microphone."""
    async with connect(url) as ws:
        await ws.send(json.dumps(HELLO))
        inbox, mic = Inbox(ws), Microphone(ws)
        tasks = [asyncio.create_task(work) for work in (inbox.run(), mic.run(), report_played(ws, inbox))]
        await inbox.until(lambda: inbox.states()[-2:] == ["speaking", "listening"])
        try:
            yield ws, inbox, mic
        finally:
            await asyncio.wait(tasks[:1], timeout=30)  # until the server ends the call
            for task in tasks:
                task.cancel()


@pytest.mark.system
def test_sigterm_mid_reply_lets_it_finish_refuses_newcomers_and_stores_the_call(speak, tmp_path):
    served = Served(tmp_path, "[server]\ndrain_seconds = 40\n")
    question = speak("What are your opening hours?", 1.1)

    async def scenario():
        async with greeted(served.ws) as (ws, inbox, mic):
            greeting = inbox.audio_seconds
            mic.say(question)
            await inbox.until(lambda: inbox.audio_seconds > greeting + 0.3)  # the reply is playing
            served.process.send_signal(signal.SIGTERM)
            signalled, said_before = time.monotonic(), len(inbox.messages)
            ready = await asyncio.to_thread(served.get, "/readyz")
            async with connect(served.ws) as late:  # refused before its hello
                refusal, late_code = json.loads(await late.recv()), await close_code(late)
            await inbox.until(lambda: inbox.states()[-1:] == ["listening"], timeout=30)  # the reply played out
            await ws.send(json.dumps({"type": "bye"}))
        return signalled, inbox.messages[said_before:], ready, refusal, late_code

    signalled, after, ready, refusal, late_code = asyncio.run(scenario())
    code, stopped = served.process.wait(40), time.monotonic()
    assert code == 0 and stopped - signalled < 40
    assert ready[0] == 503 and "draining" in ready[1]
    assert refusal["code"] == "draining" and late_code == protocol.SERVICE_RESTART
    assert not [m for m in after if m["type"] == "flush"]  # nothing of the reply was cut
    turns = rows(served.db, "select role, text, heard, interrupted from turns where session_id = 1 order by id")
    assert [t[0] for t in turns] == ["agent", "user", "agent"] and "hours" in turns[1][1].lower()
    _role, text, heard, interrupted = turns[2]
    assert interrupted == 0 and heard == text
    assert rows(served.db, "select count(*) from sessions where ended is not null") == [(1,)]


@pytest.mark.system
def test_a_call_still_going_at_the_drain_limit_hears_goodbye_and_is_stored(speak, tmp_path):
    served = Served(tmp_path, "[server]\ndrain_seconds = 1\n")

    async def scenario():
        async with greeted(served.ws) as (ws, inbox, _mic):
            greeting = inbox.audio_seconds
            served.process.send_signal(signal.SIGTERM)
        return inbox.audio_seconds - greeting, ws.close_code

    goodbye_seconds, code = asyncio.run(scenario())
    assert served.process.wait(30) == 0
    assert goodbye_seconds > 2 and code == protocol.NORMAL  # "I'm sorry, I have to end the call now ..."
    assert rows(served.db, "select count(*) from sessions where ended is not null") == [(1,)]
    ended = [line for line in served.log_lines() if line["message"].startswith("call ended")]
    assert ended and "drained" in ended[0]["message"]


@pytest.mark.system
def test_probes_metrics_and_logs_of_a_few_turns(speak, tmp_path):
    served = Served(tmp_path)
    lines = [speak("What are your opening hours?", 1.1), speak("My number is 0 7 7 0 0 9 0 0 4 6 1.", 1.1),
             speak("Goodbye.", 1.1)]
    assert served.get("/healthz") == (200, "ok\n") and served.get("/readyz") == (200, "ready\n")
    call = asyncio.run(client.call(served.ws, lines, "browser-1"))
    _, metrics = served.get("/metrics")
    assert served.stop() == 0

    families = {family.name: family for family in text_string_to_metric_families(metrics)}
    latency = {sample.name: sample.value for sample in families["parley_turn_latency_seconds"].samples}
    assert latency["parley_turn_latency_seconds_count"] == len(call.server_latency_ms) >= 2
    ended = {(s.labels["transport"], s.labels["how"]): s.value
             for s in families["parley_calls_ended"].samples if s.name.endswith("_total")}
    assert ended == {("websocket", "goodbye"): 1.0}
    session_id = call.of_type(protocol.Ready)[0].session
    of_call = [line for line in served.log_lines() if line.get("call_id")]
    turns = [line for line in of_call if line["message"].startswith("turn answered")]
    assert len(turns) == len(call.server_latency_ms) and {line["turn"] for line in turns} >= {1, 2}
    assert {line["call_id"] for line in of_call} == {session_id}
    assert [line["message"] for line in of_call][0].startswith("call started")
    # What the caller said, as Parley heard it, is nowhere in the logs: not the words, not the number.
    heard = [m.text for m in call.of_type(protocol.Transcript) if m.final]
    logged = served.log.read_text()
    messages = " ".join(line["message"] for line in served.log_lines())
    number = max((re.sub(r"\D", "", text) for text in heard), key=len)
    assert heard and not any(text in logged for text in heard) and "hours" not in messages.lower()
    assert len(number) < 6 or number not in re.sub(r"\D", "", messages)  # the latencies' digits run together here
    assert all(CONTENT not in line for line in served.log_lines())


def test_words_reach_the_logs_only_when_asked_for():
    def logged(content: bool) -> dict:
        record = logging.LogRecord("voice", logging.INFO, __file__, 1, "turn answered", (), None)
        record.content = {"heard": "my number is 0770 090 0461"}
        with in_call("c0ffee"):
            CallFilter(content).filter(record)
        return json.loads(JsonFormatter().format(record))

    withheld, shown = logged(False), logged(True)
    assert withheld["call_id"] == "c0ffee" and withheld["turn"] == 0 and CONTENT not in withheld
    assert "0461" not in json.dumps(withheld) and shown[CONTENT] == {"heard": "my number is 0770 090 0461"}


def test_a_second_signal_stops_the_drain_at_once():
    import os

    from parley.voice.app.ops.drain import CALLS, until_stopped

    async def scenario():
        loop = asyncio.get_running_loop()
        with CALLS.holding("never-ends", object()):  # a call that would outlast any drain
            loop.call_later(0.1, os.kill, os.getpid(), signal.SIGTERM)
            loop.call_later(0.5, os.kill, os.getpid(), signal.SIGTERM)
            started = time.monotonic()
            await until_stopped(tts=None, drain_seconds=30)
            return time.monotonic() - started, CALLS.draining

    try:
        took, draining = asyncio.run(scenario())
    finally:
        CALLS.draining = False
    assert draining and took < 5


def test_ready_means_each_database_takes_a_write_and_a_missing_one_is_not_created(tmp_path):
    import sqlite3

    from parley.voice.app.server.health import _unwritable

    assert _unwritable(tmp_path / "new" / "parley.db") == "" and not (tmp_path / "new").exists()
    held = sqlite3.connect(tmp_path / "busy.db", isolation_level=None)
    held.execute("create table t (x)")
    held.execute("BEGIN IMMEDIATE")  # another writer that never lets go
    try:
        assert "locked" in _unwritable(tmp_path / "busy.db")
    finally:
        held.close()
    assert _unwritable(tmp_path / "busy.db") == ""
