"""Caller voices for the eval that are not Parley's own, and the telephone line they can go through."""

from __future__ import annotations

import numpy as np
import pytest

from parley.configs.files import ConfigError
from parley.voice.app.measure.voices import CallerVoice, espeak, flite, telephone

RATE = 16000


def tone(hz: float, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (8000 * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def test_a_voice_is_named_with_its_line():
    assert CallerVoice.parse("espeak:en-gb+f3/phone") == CallerVoice("espeak:en-gb+f3", phone=True)
    assert str(CallerVoice.parse("piper")) == "piper"
    assert CallerVoice.parse("flite:slt/phone/noise15") == CallerVoice("flite:slt", phone=True, noise_snr_db=15.0)
    assert str(CallerVoice.parse("flite:slt/noise12/phone")) == "flite:slt/phone/noise12"
    for bad in ("festival", "espeak:en-us/radio", "flite:slt/noise"):
        with pytest.raises(ConfigError):
            CallerVoice.parse(bad)


def test_a_telephone_line_keeps_speech_band_and_drops_what_is_above_4_khz():
    speech_band, above = telephone(tone(1000), RATE), telephone(tone(6000), RATE)
    error = speech_band[: RATE - 10].astype(float) - tone(1000)[: RATE - 10]
    snr = 10 * np.log10(np.mean(tone(1000).astype(float) ** 2) / np.mean(error[200:-200] ** 2))
    assert snr > 25  # 8-bit µ-law: about 38 dB on a full tone
    assert np.sqrt(np.mean(above.astype(float) ** 2)) < 100


@pytest.mark.parametrize("speak, voice", [(espeak, "en-us"), (flite, "slt"), (flite, "awb")])
def test_other_synthesizers_speak_a_line_at_the_pipeline_rate(speak, voice):
    audio = speak("A table for two tomorrow at eight.", voice, RATE)
    assert 1.0 < len(audio) / RATE < 4.0 and np.abs(audio).max() > 3000


@pytest.mark.system  # starts another process
def test_a_noisy_line_has_the_noise_asked_for():
    quiet = CallerVoice("flite:slt").speak(None, ["Four people."], RATE)[0].astype(float)  # type: ignore[arg-type]
    noisy = CallerVoice("flite:slt", noise_snr_db=10).speak(None, ["Four people."], RATE)[0].astype(float)  # type: ignore[arg-type]
    noise = noisy - quiet
    loud = np.abs(quiet) > 0.02 * np.abs(quiet).max()
    snr = 10 * np.log10(np.mean(quiet[loud] ** 2) / np.mean(noise**2))
    assert 9 < snr < 11
