"""The restaurant's regulars as Whisper's hotwords: their names heard, in a voice not Parley's own."""

from tests.names_heard import NEW_CALLERS, REGULARS, heard


def test_a_regulars_name_is_heard_once_memory_lends_it_as_a_hotword(engines, config):
    rows = heard(engines, config, "flite:slt")
    right = {label: sum(ok for name, ok, _ in rows[label] if name in REGULARS) for label in rows}
    assert right["with"] >= right["without"] + len(REGULARS) // 2, rows  # measured: 1/16 without, 12/16 with
    new = {label: sum(ok for name, ok, _ in rows[label] if name in NEW_CALLERS) for label in rows}
    assert new["with"] >= new["without"] - 1, rows  # a new caller's name is not pulled onto a regular's
