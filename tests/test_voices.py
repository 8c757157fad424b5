"""Caller voices for the eval that are not Parley's own, and the telephone line they can go through."""

from __future__ import annotations

import numpy as np
import pytest

from configs.files import ConfigError
from voice.app.measure.voices import CallerVoice, espeak, telephone

RATE = 16000


def tone(hz: float, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (8000 * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def test_a_voice_is_named_with_its_line():
    assert CallerVoice.parse("espeak:en-gb+f3/phone") == CallerVoice("espeak:en-gb+f3", phone=True)
    assert str(CallerVoice.parse("piper")) == "piper"
    for bad in ("festival", "espeak:en-us/radio"):
        with pytest.raises(ConfigError):
            CallerVoice.parse(bad)


def test_a_telephone_line_keeps_speech_band_and_drops_what_is_above_4_khz():
    speech_band, above = telephone(tone(1000), RATE), telephone(tone(6000), RATE)
    error = speech_band[: RATE - 10].astype(float) - tone(1000)[: RATE - 10]
    snr = 10 * np.log10(np.mean(tone(1000).astype(float) ** 2) / np.mean(error[200:-200] ** 2))
    assert snr > 25  # 8-bit µ-law: about 38 dB on a full tone
    assert np.sqrt(np.mean(above.astype(float) ** 2)) < 100


def test_espeak_speaks_a_line_at_the_pipeline_rate():
    audio = espeak("A table for two tomorrow at eight.", "en-us", RATE)
    assert 1.0 < len(audio) / RATE < 4.0 and np.abs(audio).max() > 3000
