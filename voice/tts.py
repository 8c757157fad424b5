"""Text-to-speech: the Protocol and Piper, one chunk of audio per sentence as soon as it is made."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np
from piper import PiperVoice, SynthesisConfig

from parley.voice.audio import AudioChunk, AudioFormat
from parley.voice.config import TtsConfig
from parley.voice.models import piper_voice_file


class TextToSpeech(Protocol):
    format: AudioFormat

    def synthesize(self, text: str) -> Iterator[AudioChunk]:
        """Audio for `text`, a piece at a time. Blocking: pull it off the event loop."""

    def remember(self, phrases: list[str]) -> None:
        """Synthesize these now, so that saying them later costs nothing."""


CACHED_PHRASES = 256  # about 25 MB of audio at most
CACHED_TEXT_CHARS = 60  # short phrases repeat ("And a contact number?"); long sentences rarely do


class PhraseCache:
    """Audio of short phrases, most recently used kept. Sessions of one server synthesize on worker
    threads at once, so every look-up and change holds the lock (a check-then-act could meet an eviction)."""

    def __init__(self, limit: int = CACHED_PHRASES):
        self.limit = limit
        self._phrases: OrderedDict[str, list[AudioChunk]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> list[AudioChunk] | None:
        with self._lock:
            chunks = self._phrases.get(text)
            if chunks is not None:
                self._phrases.move_to_end(text)
            return chunks

    def put(self, text: str, chunks: list[AudioChunk]) -> None:
        with self._lock:
            self._phrases[text] = chunks
            self._phrases.move_to_end(text)
            while len(self._phrases) > self.limit:
                self._phrases.popitem(last=False)


class PiperTTS:
    def __init__(self, config: TtsConfig):
        path = str(piper_voice_file(config.voice))
        self.voice = PiperVoice.load(path)
        self.voice.session = _quiet_session(path, config.threads)
        self.format = AudioFormat(self.voice.config.sample_rate, 2, 1)
        self._synthesis = SynthesisConfig(length_scale=config.length_scale)
        silence_samples = self.format.rate * config.sentence_silence_ms // 1000
        self._sentence_silence = AudioChunk(bytes(2 * silence_samples), self.format)
        self.cache = PhraseCache()  # frequent short phrases
        for _ in self.synthesize("Ready."):  # warm-up: the first run of an ONNX session is slow
            pass

    def remember(self, phrases: list[str]) -> None:
        """Synthesize these now, so saying them later costs nothing (the questions asked most)."""
        for phrase in phrases:
            self.cache.put(phrase, list(self._synthesize(phrase, self._synthesis)))

    def synthesize(self, text: str, config: SynthesisConfig | None = None) -> Iterator[AudioChunk]:
        cached = self.cache.get(text) if config is None else None
        if cached is not None:
            yield from cached
            return
        chunks = []
        for chunk in self._synthesize(text, config or self._synthesis):
            chunks.append(chunk)
            yield chunk
        if config is None and len(text) <= CACHED_TEXT_CHARS:
            self.cache.put(text, chunks)

    def _synthesize(self, text: str, config: SynthesisConfig) -> Iterator[AudioChunk]:
        for piece in self.voice.synthesize(text, config):
            yield AudioChunk(piece.audio_int16_bytes, self.format)
            yield self._sentence_silence

    def speak(self, text: str, length_scale: float | None = None) -> np.ndarray:
        """All of `text` as one int16 array, for making test and demo audio: the same every time
        (Piper's sampling noise off), so a run that passes once passes again."""
        steady = SynthesisConfig(length_scale=length_scale or self._synthesis.length_scale, noise_scale=0.0,
                                 noise_w_scale=0.0)
        chunks = self.synthesize(text, steady)
        return np.concatenate([chunk.to_array() for chunk in chunks])


def _quiet_session(path: str, threads: int) -> Any:
    """An ONNX Runtime session whose idle threads sleep instead of spinning: a spinning pool burns
    the cores that speech-to-text needs for the next turn's speculation. `threads` 0: one per core."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])
