"""The NLU against the phrasing corpus: how callers say party sizes, days, times, names, yes and no."""

from __future__ import annotations

from datetime import time

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

    from parley.dialogue.nlu import understand
    for said in ("Yes.", "Yes, 8 is fine.", "OK.", "Sure, Friday.", "555 1234", "Eight o'clock.", "No thanks."):
        assert understand(said, date(2026, 11, 28), asked="name").name is None, said


def test_a_model_reading_adds_no_invented_detail():
    from datetime import date

    from parley.dialogue.llm_brain import Reading, merge
    from parley.dialogue.nlu import understand
    today = date(2026, 11, 28)
    for said, reading in (("This evening.", Reading(intent="details", at=time(20, 30))),
                          ("Friday the 4th.", Reading(intent="details", name="4th, Friday, 2026-11-28")),
                          ("Five five five, one two three four.", Reading(intent="details", name="one-two-three-four"))):
        merged = merge(understand(said, today), reading, said)
        assert merged.clock is None and merged.name is None, said
