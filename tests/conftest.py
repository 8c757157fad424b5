"""Shared fixtures (the real models, loaded once for the whole run) and the `system` marker."""

from __future__ import annotations

import os

import pytest

# Every test, and every `parley` process a test starts, reads one fixed "now" through the clock Parley
# itself reads (the restaurant's, `Domain.now`): "tomorrow at seven" must not depend on the day CI runs
# (on a Sunday tomorrow is Monday, when the restaurant is closed). A Saturday afternoon, as in the data
# files; `PARLEY_NOW=... pytest` runs the suite at another moment.
os.environ.setdefault("PARLEY_NOW", "2026-11-28T15:00")

from parley.voice.app.settings import load_config
from parley.voice.app.wiring import load_engines

# Tests that run the real models, other processes, a browser, an audio server or an LLM server are
# system tests: `pytest -m "not system"` is the quick unit suite; plain `pytest` (CI) runs both.
SYSTEM_FIXTURES = {"engines", "speak"}  # the real Whisper and Piper
SYSTEM_MODULES = {"test_cli", "test_talk", "test_browser", "test_edge", "test_eval", "test_llm_server", "test_stt",
                  "test_satellite", "test_phone_baresip", "test_staff_page", "test_packaging"}


def pytest_configure(config):
    config.addinivalue_line("markers", "system: runs real models, processes or servers (minutes, not seconds)")


def pytest_collection_modifyitems(items):
    for item in items:
        module = item.module.__name__.rpartition(".")[2] if item.module else ""
        if module in SYSTEM_MODULES or SYSTEM_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.system)


@pytest.fixture(scope="session")
def config():
    return load_config()


@pytest.fixture(scope="session")
def engines(config):
    return load_engines(config)


@pytest.fixture(scope="session")
def speak(engines, config):
    """Text to int16 speech at the pipeline's rate, through the real Piper voice."""
    from parley.voice.app.measure.utterances import caller_lines

    def speak(text: str, length_scale: float = 1.0):
        [audio] = caller_lines(engines, [text], config.audio.sample_rate, length_scale)
        return audio

    return speak
