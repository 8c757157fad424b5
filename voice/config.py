"""Configuration: one tree of frozen dataclasses loaded from TOML, unknown keys rejected by name."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from configs.files import merge_tables, read_toml


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


def _build(cls, table: dict[str, Any]):
    """An instance of dataclass `cls` from a complete table."""
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        value = table[f.name]
        values[f.name] = _build(hint, value) if dataclasses.is_dataclass(hint) else value
    return cls(**values)
