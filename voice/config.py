"""Configuration: one tree of frozen dataclasses loaded from TOML, unknown keys rejected by name."""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class AudioConfig:
    sample_rate: int
    chunk_ms: int
    input_queue_chunks: int


@dataclass(frozen=True)
class VadConfig:
    aggressiveness: int
    frame_ms: int
    start_ms: int
    end_silence_ms: int
    pause_ms: int
    finished_wait_ms: int
    unfinished_wait_ms: int
    preroll_ms: int
    min_level_dbfs: float


@dataclass(frozen=True)
class SttConfig:
    model: str
    compute_type: str
    cpu_threads: int
    language: str
    beam_size: int


@dataclass(frozen=True)
class TtsConfig:
    voice: str
    length_scale: float
    sentence_silence_ms: int
    threads: int


@dataclass(frozen=True)
class SessionConfig:
    barge_in: bool
    playback_ahead_ms: int


@dataclass(frozen=True)
class TalkConfig:
    echo: str
    echo_margin_db: float
    input_device: str
    output_device: str
    block_ms: int


@dataclass(frozen=True)
class DialogueConfig:
    domain: str


@dataclass(frozen=True)
class LlmConfig:
    base_url: str
    model: str
    api_key_env: str
    deadline_ms: int


@dataclass(frozen=True)
class Config:
    audio: AudioConfig
    vad: VadConfig
    stt: SttConfig
    tts: TtsConfig
    session: SessionConfig
    talk: TalkConfig
    dialogue: DialogueConfig
    llm: LlmConfig


def load_config(path: Path | str | None = None) -> Config:
    """The packaged defaults, overridden by the TOML file at `path` if one is given."""
    table = read_toml(resources.files("configs") / "default.toml")
    if path is not None:
        merge_tables(table, read_toml(Path(path)), str(path))
    return _build(Config, table)


def read_toml(file) -> dict[str, Any]:
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such config file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{file}: not valid TOML: {error}") from None


def merge_tables(defaults: dict, overrides: dict, source: str, prefix: str = "") -> None:
    """Put `overrides` into `defaults`, refusing keys and types that the defaults do not have."""
    for key, value in overrides.items():
        name = f"{prefix}{key}"
        if key not in defaults:
            known = ", ".join(defaults)
            raise ConfigError(f"{source}: unknown key '{name}' (known here: {known})")
        default = defaults[key]
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: '{name}' must be a table")
            merge_tables(default, value, source, f"{name}.")
            continue
        if isinstance(default, float) and type(value) is int:
            value = float(value)
        if type(value) is not type(default):
            expected, got = type(default).__name__, type(value).__name__
            raise ConfigError(f"{source}: '{name}' must be {expected}, not {got}")
        defaults[key] = value


def _build(cls, table: dict[str, Any]):
    """An instance of dataclass `cls` from a complete table."""
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        value = table[f.name]
        values[f.name] = _build(hint, value) if dataclasses.is_dataclass(hint) else value
    return cls(**values)
