"""The NLU against the phrasing corpus: how callers say party sizes, days, times, names, yes and no."""

from __future__ import annotations

from tests.phrasings import SPLITS, failures, load, score


def test_the_development_corpus_is_read_right_turn_by_turn():
    turns = load(SPLITS["development"])
    assert len(turns) >= 200
    assert failures(turns) == []


def test_the_held_out_corpus_is_read_right_at_least_nine_times_in_ten():
    turns = load(SPLITS["held out"])
    right, of = score(turns)["whole turn"]
    assert of >= 80 and right / of >= 0.9, "\n".join(failures(turns))


def test_nothing_that_answers_a_question_becomes_a_name():
    from datetime import date

    from dialogue.nlu import understand
    for said in ("Yes.", "Yes, 8 is fine.", "OK.", "Sure, Friday.", "555 1234", "Eight o'clock.", "No thanks."):
        assert understand(said, date(2026, 11, 28), asked="name").name is None, said
