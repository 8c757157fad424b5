"""All wiring in one place: the engines a process loads once, and the sessions built on them."""

from __future__ import annotations

from collections.abc import Callable

from dialogue.brain import Brain, EchoBrain
from voice.config import Config
from voice.events import Event
from voice.reply import Engines
from voice.session import Session
from voice.streams import AudioSink, AudioSource
from voice.stt import FasterWhisperSTT
from voice.tts import PiperTTS


def load_engines(config: Config) -> Engines:
    """Load and warm up the speech models; slow (about a second), so do it once per process."""
    return Engines(stt=FasterWhisperSTT(config.stt), tts=PiperTTS(config.tts))


def build_brain(config: Config) -> Brain:
    return EchoBrain()


def build_session(
    config: Config,
    engines: Engines,
    source: AudioSource,
    speaker: AudioSink,
    on_event: Callable[[Event], None] = lambda event: None,
    streaming: bool = True,
) -> Session:
    return Session(config, engines, build_brain(config), source, speaker, on_event, streaming)
