"""Shared fixtures: the real models, loaded once for the whole test run."""

from __future__ import annotations

import pytest

from voice.app.wiring import load_engines
from voice.config import load_config


@pytest.fixture(scope="session")
def config():
    return load_config()


@pytest.fixture(scope="session")
def engines(config):
    return load_engines(config)


@pytest.fixture(scope="session")
def speak(engines, config):
    """Text to int16 speech at the pipeline's rate, through the real Piper voice."""
    from voice.app.measure.utterances import caller_lines

    def speak(text: str, length_scale: float = 1.0):
        [audio] = caller_lines(engines, [text], config.audio.sample_rate, length_scale)
        return audio

    return speak
