"""Several restaurants on one server: each its own file, its own database, its own path and phone number."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3

import pytest
from websockets.asyncio.client import connect

from parley.configs.files import ConfigError
from parley.dialogue.types import StoreError
from parley.voice import protocol
from parley.voice.app.measure.client import call
from parley.voice.app.measure.sip_caller import SipCaller
from parley.voice.app.phone.line import PhoneLine
from parley.voice.app.restaurants import by_number, load_restaurants
from parley.voice.app.wiring import build_brain
from tests.test_phone import free_port, said
from tests.test_server import close_code, running


def two_restaurants(folder):
    folder.mkdir()
    (folder / "sole.toml").write_text('[phone]\nnumber = "+44 20 7946 0001"\n')
    (folder / "luna.toml").write_text('[restaurant]\nname = "Osteria Luna"\n[phone]\nnumber = "020 7946 0002"\n')
    return folder


def with_restaurants(config, folder):
    return dataclasses.replace(config, server=dataclasses.replace(config.server, restaurants=str(folder)))


def test_a_folder_of_restaurant_files_gives_each_its_id_name_number_and_database(config, tmp_path):
    restaurants = load_restaurants(with_restaurants(config, two_restaurants(tmp_path / "r")), tmp_path / "x" / "p.db")
    assert sorted(restaurants) == ["luna", "sole"]
    assert restaurants["luna"].domain.name == "Osteria Luna" and restaurants["sole"].domain.name == "Trattoria Sole"
    assert restaurants["luna"].db == tmp_path / "x" / "luna.db"
    assert by_number(restaurants, "02079460002").id == "luna" and by_number(restaurants, "442079460001").id == "sole"
    assert by_number(restaurants, "999") is None
    assert list(load_restaurants(config, None)) == [""] and by_number(load_restaurants(config, None), "1") is not None


def test_a_call_uses_the_restaurant_as_read_at_start_not_its_file_again(config, tmp_path):
    restaurants = load_restaurants(with_restaurants(config, two_restaurants(tmp_path / "r")), tmp_path / "p.db")
    luna = restaurants["luna"]
    (tmp_path / "r" / "luna.toml").write_text("not = [valid")  # edited while serving: read at the next start
    brain = build_brain(luna.config, luna.db, "chat", domain=luna.domain)
    assert "Osteria Luna" in brain.greeting()


def test_a_folder_without_restaurants_or_with_a_bad_name_is_a_clear_error(config, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no ID.toml"):
        load_restaurants(with_restaurants(config, tmp_path / "empty"), None)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "Big Name.toml").write_text("")
    with pytest.raises(ConfigError, match="Big Name.toml"):
        load_restaurants(with_restaurants(config, tmp_path / "bad"), None)


def test_memory_never_crosses_restaurants_on_one_server(config, engines, speak, tmp_path):
    config = with_restaurants(config, two_restaurants(tmp_path / "r"))
    db = tmp_path / "parley.db"
    booking = [speak(line, 1.1) for line in ("I'd like a table for two tomorrow at seven pm.", "My name is John Smith.",
                                             "My number is five five five, one two three four.", "Yes please.")]

    async def scenario():
        async with running(config, engines, db) as url:
            base = url.removesuffix("/ws")
            await call(f"{base}/r/sole/ws", booking, "caller-7")
            at_luna = await call(f"{base}/r/luna/ws", [speak("Hello.", 1.1)], "caller-7")
            async with connect(f"{base}/r/nowhere/ws") as nowhere:
                unknown = await close_code(nowhere)
        phone = PhoneLine(config, engines, db, ("127.0.0.1", free_port()))
        await phone.start()
        try:
            caller = SipCaller(number="5559876")
            await caller.dial(phone.listen[1], free_port(), dialled="02079460002")
            await caller.reply_after(0.0)
            await caller.say(said("What is your address?"))
            await caller.quiet(1.5, timeout=20)
            await caller.hang_up()
            with pytest.raises(RuntimeError, match="404"):
                await SipCaller().dial(phone.listen[1], free_port(), dialled="5550000")
        finally:
            await phone.stop()
        return at_luna, unknown

    at_luna, unknown = asyncio.run(scenario())
    greeting = " ".join(m.text for m in at_luna.of_type(protocol.Said))
    assert greeting.startswith("Hello, you've reached Osteria Luna") and "John" not in greeting
    assert unknown == protocol.POLICY
    with sqlite3.connect(tmp_path / "sole.db") as sole, sqlite3.connect(tmp_path / "luna.db") as luna:
        assert sole.execute("select name from reservations").fetchall() == [("John Smith",)]
        assert luna.execute("select count(*) from reservations").fetchone() == (0,)
        assert luna.execute("select count(*) from people where name is not null").fetchone() == (0,)
        assert luna.execute("select transport from sessions order by id").fetchall() == [("websocket",), ("phone",)]
    assert not db.exists()  # the server's --db names the folder; each restaurant keeps its own file


def damaged(db, how: str) -> None:
    """A database spoiled as a power cut or a bad disk leaves one: cut short, or overwritten."""
    from parley.memory.db import open_db

    connection = open_db(db).conn
    connection.execute("create table filler(x)")
    connection.executemany("insert into filler values (?)", [("x" * 500,) for _ in range(200)])
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all in the file itself, as after a clean stop
    connection.close()
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3] if how == "truncated" else data[:100] + b"\x07" * (len(data) - 100))


@pytest.mark.parametrize("how", ["truncated", "overwritten"])
def test_a_damaged_database_refuses_its_restaurant_by_name_with_the_way_back(config, tmp_path, how):
    config = with_restaurants(config, two_restaurants(tmp_path / "r"))
    damaged(tmp_path / "luna.db", how)
    restaurants = load_restaurants(config, tmp_path / "parley.db")
    assert restaurants["sole"].damaged == ""
    assert str(tmp_path / "luna.db") in restaurants["luna"].damaged
    assert "parley memory restore" in restaurants["luna"].damaged
    damaged(tmp_path / "sole.db", how)
    with pytest.raises(StoreError, match="sole.db|luna.db"):  # none left to answer: the server does not start
        load_restaurants(config, tmp_path / "parley.db")


def test_memory_check_names_the_damaged_file_and_restore_puts_a_backup_back(config, tmp_path, capsys):
    from parley.memory.backup import backup
    from parley.voice.app.commands.memory import check
    from parley.voice.app.commands.memory import main as memory

    db = tmp_path / "parley.db"
    brain = build_brain(config, db, "chat")
    asyncio.run(brain.close())
    backup(db, tmp_path / "good.db")
    assert check(config, db) == 0 and "whole" in capsys.readouterr().out
    damaged(db, "overwritten")
    assert check(config, db) == 1 and f"{db}: " in capsys.readouterr().out
    assert memory("restore", db, None, tmp_path / "good.db") == 0
    assert check(config, db) == 0 and (tmp_path / "parley.db.damaged-1").exists()  # kept, for what can be read


def test_a_server_refuses_a_damaged_restaurant_and_books_at_the_other(config, engines, speak, tmp_path):
    """Real WebSocket calls: the damaged restaurant's caller is told to call later (1013); /readyz
    stays ready and names it; the other restaurant takes a booking."""
    import urllib.request

    config = with_restaurants(config, two_restaurants(tmp_path / "r"))
    damaged(tmp_path / "luna.db", "truncated")
    booking = [speak(line, 1.1) for line in ("I'd like a table for two tomorrow at seven pm.", "My name is John Smith.",
                                             "My number is five five five, one two three four.", "Yes please.")]

    async def scenario():
        async with running(config, engines, tmp_path / "parley.db") as url:
            base = url.removesuffix("/ws")
            ready = await asyncio.to_thread(lambda: urllib.request.urlopen(base.replace("ws:", "http:") + "/readyz"))
            async with connect(f"{base}/r/luna/ws") as luna:
                refused = await close_code(luna)
            await call(f"{base}/r/sole/ws", booking, "caller-8")
            return ready.status, ready.read().decode(), refused

    status, body, refused = asyncio.run(scenario())
    assert status == 200 and "refusing luna: damaged database" in body
    assert refused == protocol.TRY_AGAIN_LATER
    with sqlite3.connect(tmp_path / "sole.db") as sole:
        assert sole.execute("select name from reservations").fetchall() == [("John Smith",)]
