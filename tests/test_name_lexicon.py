"""Names heard, judged against the census, English's commonest words and the names the restaurant knows (issue 35)."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from parley.dialogue.domain import load_domain
from parley.dialogue.name_lexicon import is_name, is_word, judge, spelled_like
from parley.dialogue.reservation_brain import ReservationBrain
from parley.dialogue.types import Caller
from parley.memory.db import open_db
from parley.memory.reservations import ReservationStore

NOW = datetime(2026, 11, 27, 12, 0)  # a Friday
REGULARS = ["Mei Tanaka", "Rahul Mehta", "Eva Novak", "Siobhan Haddad", "Dana Scott"]


class Regulars:
    """Memory that knows the regulars' names, and no caller by name or number."""

    def caller(self, phone: str | None = None, name: str | None = None) -> Caller | None:
        return None

    def recall(self, person_id: int, query: str) -> list[str]:
        return []

    def known_names(self, limit: int) -> list[str]:
        return REGULARS[:limit]


@pytest.mark.parametrize("word", ["Haddad", "Young", "Grace", "Baker", "Mehta", "Lopez"])
def test_names_on_record_are_names_even_when_they_are_words_too(word):
    assert is_name(word) and not is_word(word)


@pytest.mark.parametrize("word", ["look", "Don't", "even", "shot", "customer", "Dad"])
def test_common_words_are_no_names(word):
    assert is_word(word) and not is_name(word)


@pytest.mark.parametrize(("heard", "known"), [("Mai Tonokka", "Mei Tanaka"), ("Rahil Metta", "Rahul Mehta"),
                                              ("Shobon Hadid", "Siobhan Haddad")])
def test_a_heard_name_that_sounds_like_a_regulars_is_taken_for_it(heard, known):
    assert judge(heard, REGULARS) == ("sounds like", known)


@pytest.mark.parametrize("heard", ["Don't Look", "You All Met", "Sheldon Haddard", "Mehta Novak", "Always Brennan"])
def test_words_a_surname_on_no_record_or_two_regulars_run_together_are_doubtful(heard):
    assert judge(heard, REGULARS) == ("doubtful", None)


@pytest.mark.parametrize("heard", ["Rahul Mehta", "Grace Wong", "Dan", "Maria Rossi", "Priya Shah", "Tom Reed"])
def test_a_name_on_record_or_known_is_kept_as_heard(heard):
    verdict, known = judge(heard, REGULARS)
    assert verdict in ("known", "name") and (known or heard) == heard  # "Dan" is no evidence for Dana Scott


def test_a_typed_name_is_what_the_caller_wrote():
    assert judge("Omar Farouk", REGULARS, by_ear=False) == ("name", None)
    assert judge("Mai Tonokka", REGULARS, by_ear=False) == ("name", None)
    assert judge("Omar Farouk", REGULARS) == ("doubtful", None)


def test_a_spelling_is_believed_when_it_is_a_name_or_sounds_like_what_was_heard():
    assert spelled_like("Haddad", "Sheldon Haddard") and spelled_like("Farouk", "Omar Faruk")
    assert not spelled_like("Xqzt", "Sheldon Haddard")
    # letters heard doubled, or two words' letters run together (the eval, Flite slt): not believed
    assert not spelled_like("Hadhdhd", "Hatted") and not spelled_like("Lucasmlrau", "Lucas Merlow")


def brain(tmp_path) -> tuple[ReservationBrain, ReservationStore]:
    domain = load_domain()
    store = ReservationStore(open_db(tmp_path / "p.db"), domain.tables_per_slot)
    return ReservationBrain(domain, store, clock=lambda: NOW, directory=Regulars(), spoken=True), store


async def _converse(brain: ReservationBrain, lines: list[str]) -> list[str]:
    return ["".join([part async for part in brain.reply(line)]).strip() for line in lines]


def test_a_regulars_name_misheard_is_booked_right_and_read_back_spelled(tmp_path):
    parley, store = brain(tmp_path)
    lines = ["A table for two on Tuesday at nine.", "Mai Tonokka.", "617 208 1554", "Yes."]
    replies = asyncio.run(_converse(parley, lines))
    assert "under Mei Tanaka, M, E, I; T, A, N, A, K, A, on 6 1 7" in replies[2], replies
    [row] = store.table.rows_where("status = 'booked'")
    assert row["name"] == "Mei Tanaka" and row["flag"] is None


def test_a_spelling_that_is_no_name_and_sounds_like_nothing_heard_is_flagged(tmp_path):
    parley, store = brain(tmp_path)
    lines = ["A table for two on Tuesday at nine.", "Sheldon Haddard.", "X, Q, Z, T.", "617 208 1554", "Yes."]
    replies = asyncio.run(_converse(parley, lines))
    assert "spell" in replies[1], replies
    [row] = store.table.rows_where("status = 'booked'")
    assert row["flag"] == "name unclear: spelled 'Xqzt', heard 'Sheldon Haddard'", replies


def test_a_spelling_that_sounds_like_the_name_heard_is_booked_unflagged(tmp_path):
    parley, store = brain(tmp_path)
    lines = ["A table for two on Tuesday at nine.", "Sheldon Haddard.", "H, A, D, D, A, D.", "617 208 1554", "Yes."]
    replies = asyncio.run(_converse(parley, lines))
    [row] = store.table.rows_where("status = 'booked'")
    assert row["name"] == "Sheldon Haddad" and row["flag"] is None, replies
