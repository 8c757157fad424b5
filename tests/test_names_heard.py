"""The restaurant's regulars as Whisper's hotwords: their names heard, in a voice not Parley's own."""

from tests.names_heard import NEW_CALLERS, REGULARS, heard, judged


def test_a_regulars_name_is_heard_once_memory_lends_it_as_a_hotword(engines, config):
    rows = heard(engines, config, "flite:slt")
    right = {label: sum(ok for name, ok, _ in rows[label] if name in REGULARS) for label in rows}
    assert right["with"] >= right["without"] + len(REGULARS) // 2, rows  # measured: 1/16 without, 12/16 with
    new = {label: sum(ok for name, ok, _ in rows[label] if name in NEW_CALLERS) for label in rows}
    assert new["with"] >= new["without"] - 1, rows  # a new caller's name is not pulled onto a regular's


def test_the_lexicon_takes_misheard_regulars_for_themselves_and_doubts_more_than_it_believes_wrongly(engines, config):
    rows = heard(engines, config, "flite:awb/phone")
    hotwords_alone = sum(ok for _, ok, _ in rows["with"])
    outcomes = [judged(name, text) for name, _, text in rows["with"]]
    # measured: right 12/22 with the hotwords alone, 16/22 with the lexicon; 4 doubted, 2 wrong and believed
    assert outcomes.count("right") > hotwords_alone, rows
    assert outcomes.count("wrong") < outcomes.count("doubted"), rows
