from pathlib import Path

import pytest

from parley.configs.files import ConfigError
from parley.voice.app.settings import load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "parley.toml"
    path.write_text(text)
    return path


def test_defaults_load_into_frozen_dataclasses():
    config = load_config()
    assert config.audio.sample_rate == 16000
    assert config.vad.frame_ms in (10, 20, 30)
    with pytest.raises(AttributeError):
        config.vad.frame_ms = 20


def test_user_file_overrides_only_its_keys(tmp_path):
    config = load_config(write(tmp_path, "[vad]\nend_silence_ms = 250\n[tts]\nlength_scale = 1\n"))
    assert config.vad.end_silence_ms == 250
    assert config.tts.length_scale == 1.0
    assert config.vad.frame_ms == load_config().vad.frame_ms


def test_unknown_key_is_named_with_the_file(tmp_path):
    path = write(tmp_path, "[vad]\nend_silense_ms = 250\n")
    with pytest.raises(ConfigError, match=r"parley\.toml.*unknown key 'vad\.end_silense_ms'"):
        load_config(path)


def test_unknown_section_is_named(tmp_path):
    with pytest.raises(ConfigError, match="unknown key 'vadd'"):
        load_config(write(tmp_path, "[vadd]\nx = 1\n"))


def test_wrong_type_is_named(tmp_path):
    with pytest.raises(ConfigError, match="'stt.beam_size' must be int, not str"):
        load_config(write(tmp_path, '[stt]\nbeam_size = "one"\n'))


def test_table_expected(tmp_path):
    with pytest.raises(ConfigError, match="'audio' must be a table"):
        load_config(write(tmp_path, "audio = 3\n"))


def test_invalid_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[vad\n"))
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "absent.toml")


def test_the_restaurant_keeps_its_own_time_zone(tmp_path, monkeypatch):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from parley.dialogue.domain import load_domain

    path = tmp_path / "restaurant.toml"
    path.write_text('[restaurant]\ntimezone = "Pacific/Auckland"\n')
    monkeypatch.delenv("PARLEY_NOW")  # the wall clock, not the tests' fixed one
    domain = load_domain(path)
    auckland = datetime.now(ZoneInfo("Pacific/Auckland")).replace(tzinfo=None)
    assert abs(domain.now() - auckland) < timedelta(seconds=5)  # "tomorrow" is the restaurant's
    path.write_text('[restaurant]\ntimezone = "Mars/Olympus_Mons"\n')
    with pytest.raises(ConfigError, match="not a known time zone"):
        load_domain(path)


def test_parley_now_fixes_the_restaurants_calendar_and_a_bad_one_is_named(monkeypatch):
    from datetime import datetime

    from parley.dialogue.domain import load_domain

    monkeypatch.setenv("PARLEY_NOW", "2026-12-06T19:30")
    assert load_domain().now() == datetime(2026, 12, 6, 19, 30)
    monkeypatch.setenv("PARLEY_NOW", "next sunday")
    with pytest.raises(ConfigError, match=r"PARLEY_NOW: expected a date and time like .*'next sunday'"):
        load_domain()


def test_a_value_outside_its_choices_is_named_with_the_file_before_any_call(tmp_path):
    with pytest.raises(ConfigError, match=r"parley\.toml: 'vad\.frame_ms' must be one of 10, 20, 30, not 25"):
        load_config(write(tmp_path, "[vad]\nframe_ms = 25\n"))
    with pytest.raises(ConfigError, match=r"'talk\.echo' must be one of 'webrtc', 'gate', 'off', not 'loud'"):
        load_config(write(tmp_path, '[talk]\necho = "loud"\n'))
    with pytest.raises(ConfigError, match=r"'stt\.compute_type' must be one of .*'int8'.*not 'int9'"):
        load_config(write(tmp_path, '[stt]\ncompute_type = "int9"\n'))


def test_an_llm_endpoint_without_a_model_is_refused_at_start(tmp_path):
    with pytest.raises(ConfigError, match=r"parley\.toml: 'llm\.model' must name the model"):
        load_config(write(tmp_path, '[llm]\nbase_url = "http://127.0.0.1:8080/v1"\n'))
