"""The application's settings (talk, dialogue, LLM, server, phone) beside the pipeline's, as one tree from TOML."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from parley.configs.files import ConfigError, merge_tables, read_toml
from parley.voice.config import (
    AudioConfig,
    EchoMode,
    PipelineConfig,
    SessionConfig,
    SttConfig,
    TtsConfig,
    VadConfig,
    build,
)


@dataclass(frozen=True)
class TalkConfig:
    echo: EchoMode
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
class ServerConfig:
    max_sessions: int
    max_per_address: int
    max_per_client: int
    max_messages_per_second: int
    restaurants: str = ""  # a folder of ID.toml restaurant files, each served at /r/ID/; "": the one restaurant
    drain_seconds: float = 30.0  # on SIGTERM, how long live calls get to finish before a goodbye ends them
    resume_seconds: float = 30.0  # a browser call whose connection dropped is held this long for it to come back
    replica: str = ""  # a Litestream replica URL: each restaurant's database restored from it and replicated to it


@dataclass(frozen=True)
class PhoneConfig:
    listen: str  # SIP on UDP, HOST:PORT (`parley phone --listen`)
    rtp_port_min: int  # the UDP ports RTP media may use
    rtp_port_max: int
    rtp_timeout: float  # no audio from the caller this long ends the call
    jitter_max_ms: int  # the most caller audio held back for late packets; the buffer follows the line's jitter up to it


@dataclass(frozen=True)
class Config:
    """The whole tree: the pipeline's sections, then the application's."""

    audio: AudioConfig
    vad: VadConfig
    stt: SttConfig
    tts: TtsConfig
    session: SessionConfig
    talk: TalkConfig
    dialogue: DialogueConfig
    llm: LlmConfig
    server: ServerConfig
    phone: PhoneConfig

    @property
    def pipeline(self) -> PipelineConfig:
        return PipelineConfig(self.audio, self.vad, self.stt, self.tts, self.session)


def load_config(path: Path | str | None = None) -> Config:
    """The packaged defaults, overridden by the TOML file at `path` if one is given."""
    table = read_toml(resources.files("parley.configs") / "default.toml")
    if path is not None:
        merge_tables(table, read_toml(Path(path)), str(path))
    source = str(path) if path is not None else "configs/default.toml"
    config = build(Config, table, source)
    if config.llm.base_url and not config.llm.model:  # else every call would fail, not the start
        raise ConfigError(f"{source}: 'llm.model' must name the model the endpoint at llm.base_url serves")
    return config
