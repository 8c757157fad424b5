"""The speech engines a process loads once and shares between its sessions."""

from __future__ import annotations

from dialogue import phrases
from voice.config import Config
from voice.reply import Engines
from voice.stt import FasterWhisperSTT
from voice.tts import PiperTTS


def load_engines(config: Config) -> Engines:
    """Load and warm up the speech models and the phrases said most; slow (seconds): once per process."""
    tts = PiperTTS(config.tts)
    tts.remember(phrases.frequent())
    return Engines(stt=FasterWhisperSTT(config.stt), tts=tts)
