"""The pipeline's settings (audio, VAD, speech-to-text and -to-speech, the session) as frozen dataclasses from TOML."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, Literal

from parley.configs.files import ConfigError

EchoMode = Literal["webrtc", "gate", "off"]
SttEngine = Literal["whisper", "moonshine"]
SttDevice = Literal["cpu", "cuda"]
ComputeType = Literal["int8", "int8_float32", "int8_float16", "int16", "float16", "float32", "default", "auto"]


@dataclass(frozen=True)
class AudioConfig:
    sample_rate: int
    chunk_ms: int
    input_queue_chunks: int


@dataclass(frozen=True)
class VadConfig:
    aggressiveness: Literal[0, 1, 2, 3]  # webrtcvad's modes
    frame_ms: Literal[10, 20, 30]  # the frame lengths webrtcvad takes
    start_ms: int
    end_silence_ms: int
    pause_ms: int
    finished_wait_ms: int
    unfinished_wait_ms: int
    preroll_ms: int
    min_level_dbfs: float


@dataclass(frozen=True)
class SttConfig:
    engine: SttEngine
    model: str
    compute_type: ComputeType  # CTranslate2's
    cpu_threads: int
    language: str
    beam_size: int
    prompt: str  # primes Whisper; "auto": the restaurant's name and a booking's words
    device: SttDevice = "cpu"  # "cuda": a server's GPU (whisper only; compute_type "float16" suits it)


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
    withdraw_ms: int  # a reply the caller speaks over this soon after it began is taken back (0: never)


@dataclass(frozen=True)
class PipelineConfig:
    """What the real-time pipeline is told: the application's own settings (voice/app/settings.py) stay there."""

    audio: AudioConfig
    vad: VadConfig
    stt: SttConfig
    tts: TtsConfig
    session: SessionConfig


def build(cls: Any, table: dict[str, Any], source: str, prefix: str = "") -> Any:  # cls: a dataclass
    """An instance of dataclass `cls` from a complete table; a value outside a Literal's choices
    is an error naming the key and the file, before any call starts."""
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        hint, value, name = hints[f.name], table[f.name], f"{prefix}{f.name}"
        if dataclasses.is_dataclass(hint):
            value = build(hint, value, source, f"{name}.")
        elif typing.get_origin(hint) is Literal and value not in typing.get_args(hint):
            choices = ", ".join(repr(choice) for choice in typing.get_args(hint))
            raise ConfigError(f"{source}: '{name}' must be one of {choices}, not {value!r}")
        values[f.name] = value
    return cls(**values)
