import threading
from datetime import date, time

from parley.dialogue.types import Booking, StoreError
from parley.memory.db import open_db
from parley.memory.reservations import ReservationStore

DAY, AT = date(2026, 12, 4), time(19, 30)


def make(phone: str) -> Booking:
    return Booking(2, DAY, AT, "Caller", phone)


def test_two_callers_never_get_the_last_table(tmp_path):
    path = tmp_path / "parley.db"
    setup = ReservationStore(open_db(path), tables_per_slot=3)
    for phone in ("100000", "200000"):
        assert setup.commit(make(phone))
    results, start = [], threading.Barrier(4)

    def book(phone):
        store = ReservationStore(open_db(path), tables_per_slot=3)  # a connection of its own
        start.wait()
        results.append(store.commit(make(phone)))

    threads = [threading.Thread(target=book, args=(f"{n}00000",)) for n in range(3, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is not None for result in results) == 1
    assert setup.free_tables(DAY, AT) == 0


def test_a_move_does_not_count_against_itself_and_cancel_frees_the_table(tmp_path):
    store = ReservationStore(open_db(tmp_path / "parley.db"), tables_per_slot=1)
    made = store.commit(make("555123"))
    assert store.free_tables(DAY, AT) == 0
    moved = store.commit(Booking(4, DAY, AT, "Caller", "555123", ("high chair",), made.id))
    assert moved.party_size == 4 and moved.notes == ("high chair",)
    assert store.find(phone="555123", today=DAY) == [moved]
    store.cancel(moved)
    assert store.free_tables(DAY, AT) == 1 and store.find(phone="555123", today=DAY) == []


def test_an_unwritable_database_is_a_clear_error(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    try:
        open_db(blocked / "parley.db")
    except StoreError as error:
        assert "cannot open the database" in str(error)
    else:
        raise AssertionError("expected a StoreError")
