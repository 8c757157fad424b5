"""The speech engines a process loads once and shares between its sessions."""

from __future__ import annotations

from dialogue import phrases
from dialogue.domain import load_domain
from voice.config import Config
from voice.reply import Engines
from voice.speakable import speakable_pieces
from voice.stt import FasterWhisperSTT
from voice.tts import PiperTTS


def load_engines(config: Config) -> Engines:
    """Load and warm up the speech models and the phrases said most; slow (seconds): once per process."""
    tts = PiperTTS(config.tts)
    tts.remember([piece for phrase in phrases.frequent(load_domain(config.dialogue.domain or None))
                  for piece in speakable_pieces(phrase)])
    return Engines(stt=FasterWhisperSTT(config.stt), tts=tts)
