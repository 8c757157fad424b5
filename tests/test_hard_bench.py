"""The harder bench's parts: turns with long pauses, and speech over a long reply (real Whisper, a
voice that is not Parley's)."""

from __future__ import annotations

import asyncio

import numpy as np

from parley.voice.app.measure import hard
from parley.voice.app.measure.voices import CallerVoice

VOICE = CallerVoice.parse("espeak:en-us+f3")


def test_paused_sentences_are_spoken_with_the_pauses_they_mark(engines, config):
    [utterance] = hard.paused_utterances(engines, [VOICE], config.audio.sample_rate)[2:3]  # "A table for | four."
    assert utterance.text == "A table for four."
    quiet = np.abs(utterance.audio.astype(np.int32)) < 300
    runs = np.diff(np.flatnonzero(np.diff(quiet.astype(np.int8)) != 0))
    assert any(0.4 * 16000 <= run <= 0.9 * 16000 for run in runs)  # espeak-ng's break, less its fades


def test_a_backchannel_over_a_reply_does_not_stop_it_and_a_barge_in_does(engines, config, monkeypatch):
    monkeypatch.setattr(hard, "BACKCHANNELS", ("Okay.",))
    monkeypatch.setattr(hard, "BARGE_INS", ("Wait, sorry.",))
    result = asyncio.run(hard.overlaps(config, engines, VOICE))
    assert vars(result) == {"backchannels": 1, "false_barge_ins": 0, "answered": 0, "barge_ins": 1, "caught": 1}


def test_the_report_says_each_figure_the_issue_asks_for():
    report = {"voices": ["flite:slt"], "paused_utterances": 12, "false_endpoint_rate": 0.25, "wer": 0.2,
              "answered_in_halves_rate": 0.083, "withdrawn": 2, "finished_endpoint_wait_ms": {"p50": 210.0, "p95": 400.0},
              "overlaps": {"backchannels": 6, "false_barge_ins": 1, "answered": 0, "barge_ins": 3, "caught": 3}}
    text = hard.render(report)
    assert "false endpoints 25.0%" in text and "p50 210.0 ms" in text
    assert "answered in halves 8.3% (2 replies taken back)" in text
    assert "of which stopped Parley 1" in text and "barge-ins over a reply: 3, of which stopped Parley 3" in text
