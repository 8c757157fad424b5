"""Persistent memory: schema upgrades, recognition and recall, forgetting, concurrency, kills, a full disk."""

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import date, datetime, time

import pytest

from parley.dialogue.types import Booking, StoreError
from parley.memory.db import immediate, open_db, schema_version
from parley.memory.people import Memory
from parley.voice.app.settings import load_config
from parley.voice.app.wiring import build_brain

NOW = datetime(2026, 11, 28, 15, 0)  # a Saturday
BOOKING = [
    "Hi, I'd like a table for four next Friday at seven thirty.",
    "My name is Sam Lee, my number is 555 1234.",
    "We need a high chair, and I have a peanut allergy.",
    "Yes, please.",
    "No, that's all, goodbye.",
]


def call(db, lines: list[str], who=None) -> list[str]:
    """One call through the embedded brain with memory, as `parley chat` makes it; Parley's lines."""
    async def run():
        brain = build_brain(load_config(), db, "chat", who, clock=lambda: NOW)
        said = [brain.greeting()]
        for line in lines:
            said.append("".join([part async for part in brain.reply(line)]).strip())
            brain.reply_heard(said[-1], said[-1])
        await brain.close()
        return said, brain

    said, brain = asyncio.run(run())
    assert brain.memory_errors == []
    return said


def test_an_older_file_is_upgraded_in_place(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)  # the schema before versions: reservations only
    old.execute("create table reservations (id integer primary key, party_size integer, day text, at text, "
                "name text, phone text, notes text, status text, created text, updated text)")
    old.execute("insert into reservations values (1, 2, '2026-12-04', '19:00', 'Kim Wu', '5553333', '[]', "
                "'booked', 'x', 'x')")
    old.commit()
    old.close()
    db = open_db(path)
    assert schema_version(db) == 4
    assert db["reservations"].get(1)["name"] == "Kim Wu" and "person_id" in db["reservations"].columns_dict
    assert {"people", "identities", "sessions", "turns", "facts", "turns_fts", "facts_fts"} <= set(db.table_names())
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_calls_opening_a_new_file_at_once_create_it_once(tmp_path):
    path, errors, start = tmp_path / "new.db", [], threading.Barrier(6)

    def open_it():
        start.wait()
        try:
            open_db(path).close()
        except StoreError as error:
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and schema_version(open_db(path)) == 4


def test_a_newer_file_is_refused_clearly(tmp_path):
    path = tmp_path / "new.db"
    sqlite3.connect(path).execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="schema version 99 is newer"):
        open_db(path)


def test_a_returning_caller_is_recognized_and_recalled(tmp_path):
    db = tmp_path / "parley.db"
    first = call(db, BOOKING)
    assert "booked for Friday" in " ".join(first)
    second = call(db, ["Hello, my number is 555 1234.", "What did I book last time?", "Sam Lee.",
                       "Do you have a table for this Saturday at eight?", "What do you remember about me?"])
    assert second[1].startswith("Welcome back, Sam.")
    assert "what name do you book under?" in second[2]  # a number said is a claim: one more detail
    assert "Last time you booked a table for 4 people" in second[3] and "high chair" in second[3]
    assert "A table for 4 again, like last time?" in second[4] and "I have noted your" in second[4]
    assert "peanut allergy" in second[5] and "usually book for 4" in second[5]


def test_a_name_confirmed_recognizes_the_caller(tmp_path):
    db = tmp_path / "parley.db"
    call(db, BOOKING)
    said = call(db, ["A table for two tomorrow at eight.", "Sam Lee.", "Yes, that's me."])
    assert "Are you the Sam Lee who has booked with us before?" in said[2]  # no digit of their number
    assert said[3].startswith("Welcome back, Sam.") and "under Sam Lee" in said[3]


def test_a_user_name_given_up_front_is_greeted_by_name_next_time(tmp_path):
    db = tmp_path / "parley.db"
    call(db, BOOKING, who=("user", "sam"))
    said = call(db, ["Do I have a booking?"], who=("user", "sam"))
    assert said[0].startswith("Hello Sam, welcome back")
    assert "Yes, I have a table for 4 people" in said[1]


def test_facts_are_searched_by_full_text(tmp_path):
    db = tmp_path / "parley.db"
    call(db, BOOKING)
    said = call(db, ["My number is 555 1234.", "Do you remember my allergy?", "Lee."])
    assert said[3].startswith("You told me: peanut allergy.")


def every_value(db) -> str:
    """Every cell of every table, the full-text indexes' own tables included, as one string."""
    values = []
    for (table,) in db.execute("select name from sqlite_master where type = 'table'").fetchall():
        for row in db.execute(f"select * from [{table}]").fetchall():
            for cell in row:
                values.append(cell.decode("utf-8", "replace") if isinstance(cell, bytes) else str(cell))
    return " ".join(values).lower()


def assert_forgotten(path):
    db = open_db(path)
    text = every_value(db)
    for trace in ("sam", "5551234", "peanut", "high chair", "chair"):
        assert trace not in text, trace
    assert db.execute("select count(*) from turns_fts where turns_fts match 'peanut'").fetchone()[0] == 0
    raw = path.read_bytes() + (path.with_name(path.name + "-wal").read_bytes()
                               if path.with_name(path.name + "-wal").exists() else b"")
    assert b"peanut" not in raw.lower() and b"5551234" not in raw


@pytest.mark.system  # starts another process
def test_forget_on_the_command_line_deletes_every_row_and_index_entry(tmp_path):
    db = tmp_path / "parley.db"
    call(db, BOOKING)
    call(db, ["Kim Wu here, my number is 555 3333, a table for two tomorrow at eight.", "Yes."])
    parley = [sys.executable, "-m", "parley.voice.app.cli", "--db", str(db), "memory"]
    shown = subprocess.run([*parley, "show", "--user", "5551234"], capture_output=True, text=True)
    assert "Sam Lee" in shown.stdout and "peanut allergy" in shown.stdout
    exported = json.loads(subprocess.run([*parley, "export", "--user", "Sam Lee"], capture_output=True, text=True).stdout)
    assert exported["identities"][0]["value"] == "5551234" and exported["sessions"][0]["turns"]
    forgot = subprocess.run([*parley, "forget", "--user", "Sam Lee"], capture_output=True, text=True)
    assert forgot.returncode == 0 and "rows deleted" in forgot.stdout
    assert_forgotten(db)
    assert "kim wu" in every_value(open_db(db))  # nobody else is forgotten


def test_forget_me_said_on_a_call_asks_first_then_forgets(tmp_path):
    db = tmp_path / "parley.db"
    call(db, BOOKING)
    said = call(db, ["Forget me.", "555 1234", "Sam Lee", "Yes."])
    assert "phone number" in said[1]
    assert "what name do you book under" in said[2]
    assert "Shall I forget everything I know about you" in said[3]
    assert "I've forgotten everything about you" in said[4]
    assert_forgotten(db)



def test_forget_removes_every_call_that_said_the_number_linked_or_not(tmp_path):
    """A call from another device (its own client id, never linked to Sam) that said Sam's name and
    number in words: forgetting Sam removes its turns and their full-text entries too."""
    db = tmp_path / "parley.db"
    call(db, BOOKING)
    call(db, ["Hi, it's Sam Lee, five five five, one two three four. What time do you open on Sunday?"],
         who=("client", "kitchen-tablet"))
    call(db, ["What's your address?"], who=("client", "kitchen-tablet"))  # said nothing of Sam: kept
    said = call(db, ["Forget me.", "555 1234", "Sam Lee", "Yes."])
    assert "I've forgotten everything about you" in said[4]
    assert_forgotten(db)
    connection = open_db(db)
    assert connection.execute("select count(*) from turns_fts where turns_fts match 'lee'").fetchone()[0] == 0
    assert connection.execute("select count(*) from turns where text like '%address%'").fetchone()[0] == 1

WRITER = """
import sys
from parley.memory.db import open_db
from parley.memory.people import Memory
memory = Memory(open_db(sys.argv[1]))
for n in range(int(sys.argv[2])):
    session = memory.start_session("test")
    memory.add_turn(session, "user", f"writer {sys.argv[3]} turn {n}")
    print(n, flush=True)
"""


@pytest.mark.system  # starts another process
def test_several_processes_write_at_once_and_every_row_arrives(tmp_path):
    db = tmp_path / "parley.db"
    open_db(db)
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), "60", str(i)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for i in range(4)]
    for writer in writers:
        _, errors = writer.communicate(timeout=120)
        assert writer.returncode == 0, errors
    memory = Memory(open_db(db))
    assert memory.db["turns"].count == 240 and memory.db["sessions"].count == 240


@pytest.mark.system  # starts another process
def test_a_process_killed_mid_turn_leaves_a_sound_database_with_every_completed_turn(tmp_path):
    db = tmp_path / "parley.db"
    open_db(db)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), "100000", "0"], stdout=subprocess.PIPE, text=True)
    completed = -1
    while completed < 200:
        completed = int(writer.stdout.readline())
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    completed = max([completed] + [int(line) for line in writer.stdout.read().split()])
    check = open_db(db)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert check["turns"].count >= completed + 1


def test_a_full_disk_is_reported_and_the_call_goes_on(tmp_path, caplog):
    db_path = tmp_path / "parley.db"

    async def run():
        brain = build_brain(load_config(), db_path, "chat", clock=lambda: NOW)
        connection = brain.store.db.conn
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full from here on
        said = []
        rambling = " Sorry, the line is bad," * 100  # long turns, so the full file shows at once
        for line in ["What's your address?" + rambling, "And when do you open on Friday?" + rambling] * 10:
            said.append("".join([part async for part in brain.reply(line)]))
        await brain.close()
        return said, brain

    said, brain = asyncio.run(run())
    assert all("Harbour Street" in s or "Friday" in s for s in said)
    assert brain.memory_errors and "full" in brain.memory_errors[0]
    assert "memory not saved" in caplog.text


def test_turns_keep_what_was_heard_and_the_trace(tmp_path):
    memory = Memory(open_db(tmp_path / "parley.db"))
    session = memory.start_session("voice")
    memory.add_turn(session, "agent", "Done, you're booked for Friday.", "Done, you're", True, {"total_ms": 480.0})
    [turn] = memory.turns(session)
    assert (turn["heard"], turn["interrupted"], json.loads(turn["trace"])) == ("Done, you're", 1, {"total_ms": 480.0})


def test_a_backchannel_is_kept_as_one_and_never_recalled_as_what_the_caller_said(tmp_path):
    db = tmp_path / "parley.db"

    async def run():
        brain = build_brain(load_config(), db, "chat", None, clock=lambda: NOW)
        brain.greeting()
        [part async for part in brain.reply("Hi, I'd like a table for four next Friday at seven thirty.")]
        brain.backchannel_heard("Mhm.")
        await brain.close()
        return brain

    brain = asyncio.run(run())
    memory = Memory(open_db(db))
    [session] = memory.db.table("sessions").rows
    roles = [(t["role"], t["text"]) for t in memory.turns(session["id"])]
    assert ("backchannel", "Mhm.") in roles and ("user", "Mhm.") not in roles and brain.memory_errors == []


def test_a_callers_pause_habit_is_learned_and_shapes_the_next_call(tmp_path):
    db = tmp_path / "parley.db"

    async def first_call():
        brain = build_brain(load_config(), db, "chat", ("user", "sam"), clock=lambda: NOW)
        for pause in (380.0, 520.0, 300.0):
            brain.pause_heard(pause)
        await brain.close()

    asyncio.run(first_call())

    async def next_call():
        brain = build_brain(load_config(), db, "chat", ("user", "sam"), clock=lambda: NOW)
        listening = brain.listening()
        await brain.close()
        return listening

    assert asyncio.run(next_call()).pause_ms == 520


def test_the_event_loop_reads_on_a_connection_of_its_own(tmp_path):
    """A read during the writer thread's open transaction does not see its half-done write."""
    brain = build_brain(load_config(), tmp_path / "p.db", "chat", clock=lambda: NOW)
    booking = Booking(2, date(2026, 12, 4), time(19, 30), "Sam Lee", "5551234")
    with immediate(brain.store.db):  # the writer's transaction, not yet committed
        brain.store.table.insert({"party_size": 2, "day": "2026-12-04", "at": "19:30", "name": "Sam Lee",
                                  "phone": "5551234", "status": "booked", "notes": "[]", "created": "x",
                                  "updated": "x"})
        assert brain.manager.calendar.free_tables(booking.day, booking.at) == brain.domain.tables_per_slot
        assert brain.store.free_tables(booking.day, booking.at) == brain.domain.tables_per_slot - 1
    assert brain.manager.calendar.free_tables(booking.day, booking.at) == brain.domain.tables_per_slot - 1
    asyncio.run(brain.close())


def test_a_name_is_listened_for_among_the_restaurants_callers_and_each_restaurant_primes_its_own(tmp_path):
    from dataclasses import replace

    from parley.dialogue.domain import load_domain
    from parley.dialogue.turn_end import Expect

    db = tmp_path / "parley.db"
    call(db, BOOKING)  # Sam Lee has called

    async def listening_at_the_name():
        brain = build_brain(load_config(), db, "chat", clock=lambda: NOW, domain=replace(load_domain(), name="Osteria Luna"))
        first = brain.listening()
        [_ async for _ in brain.reply("A table for two tomorrow at seven, please.")]
        asked = brain.listening()
        await brain.close()
        return first, asked

    first, asked = asyncio.run(listening_at_the_name())
    assert asked.expect == Expect.NAME and "Sam Lee" in asked.hotwords
    assert "Sam Lee" in first.hotwords  # the first turn may carry a name too ("Hi, it's Sam")
    assert "Osteria Luna" in asked.prompt and "Trattoria Sole" not in asked.prompt
