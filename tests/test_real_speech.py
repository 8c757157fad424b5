"""Real people's letters (Debian's klettres-data, fetched at test time): read as letters when said
alone, and as a name when spliced into a spelling."""

from __future__ import annotations

from datetime import date

import pytest

from parley.dialogue.nlu import spelled_letter, spelled_name, understand
from parley.dialogue.turn_end import Expect, Listening
from parley.voice.audio import AudioChunk
from tests.real_speech import LETTERS, letter_audio, spelled_audio

NAMES = ["Shah", "Lopez", "Katy", "Novak", "Quinn", "Weber", "Bjork", "Xu"]
TODAY = date(2026, 11, 28)
# Measured (README, "Spelled names"): en 25/26 letters alone, 7/8 names (Xu: two letters are no
# spelling); en_GB (a young voice whose "A" Whisper hears as "I") 22/26 and 2/8. A regression fails.
MISSED_ALONE = {"en": 1, "en_GB": 4}
MISSED_NAMES = {"en": 1, "en_GB": 6}


@pytest.mark.parametrize("speaker", ["en", "en_GB"])
def test_letters_said_alone_by_real_people_read_as_letters(engines, speaker):
    heard = {c: engines.stt.transcribe(AudioChunk.from_array(letter_audio(c, speaker), 16000), Listening(Expect.NAME))
             for c in LETTERS}
    missed = {c: text for c, text in heard.items() if spelled_letter(text) != c}
    assert len(missed) <= MISSED_ALONE[speaker], missed


@pytest.mark.parametrize("speaker", ["en", "en_GB"])
def test_a_name_spelled_in_real_letters_is_that_name(engines, speaker):
    heard = {name: engines.stt.transcribe(AudioChunk.from_array(spelled_audio(name, speaker), 16000), Listening(Expect.NAME))
             for name in NAMES}
    read = {name: understand(text, TODAY, "name").name or spelled_name(text) for name, text in heard.items()}
    wrong = {name: (heard[name], read[name]) for name in NAMES if read[name] != name}
    assert len(wrong) <= MISSED_NAMES[speaker], wrong
