"""The speech engines a process loads once and shares between its sessions."""

from __future__ import annotations


from voice.config import Config
from voice.reply import Engines
from voice.stt import FasterWhisperSTT
from voice.tts import PiperTTS


def load_engines(config: Config) -> Engines:
    """Load and warm up the speech models; slow (about a second), so do it once per process."""
    return Engines(stt=FasterWhisperSTT(config.stt), tts=PiperTTS(config.tts))
