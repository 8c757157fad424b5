"""Speech-to-text: the Protocol and faster-whisper on a local CTranslate2 Whisper model."""

from __future__ import annotations

import re
from typing import Protocol

import numpy as np

from parley.dialogue.turn_end import Expect, Listening
from parley.voice.audio import AudioChunk, AudioFormatError, int16_to_float
from parley.voice.config import SttConfig
from parley.voice.models import ModelNotFoundError, whisper_model_dir

WHISPER_RATE = 16000
# A segment Whisper itself doubts is speech, and reads with low confidence, is a phantom: with a
# prompt, a click becomes "Okay." (no_speech_prob 0.58, avg_logprob -1.2; real short answers
# measured 0.03-0.13 and -0.08 to -0.18).
PHANTOM_NO_SPEECH = 0.5
PHANTOM_LOGPROB = -1.0
# Whisper may end a turn with words no one said, after a finished sentence: its commonest inventions
# ("... before. Thank you.", "... right. you", "Hello. So .") are cut. Found by their words, not their
# timing: word timestamps doubled decoding time, and it was in their mode that tiny.en wrote them
# (`python -m tests.phantom_tails` counts them as Parley decodes).
PHANTOM_TAIL = re.compile(r"(?<=[.?!])\s+(?:(?:thank you|you|so)\s*)?[.?!]?\s*$", re.IGNORECASE)


class SpeechToText(Protocol):
    def transcribe(self, audio: AudioChunk, listening: Listening | None = None) -> str:
        """The words in one turn of 16 kHz mono speech; `listening` is what the dialogue waits for (the
        kind of answer, the restaurant's prompt, names to listen for). Blocking: run it off the event loop."""


def require_cuda() -> None:
    """A clear error, before any model loads, when a GPU is asked for and CTranslate2 sees none."""
    import ctranslate2

    if ctranslate2.get_cuda_device_count() == 0:
        raise ModelNotFoundError('[stt] device = "cuda", but CTranslate2 sees no CUDA device: use a machine with an '
                                 'NVIDIA GPU, its driver and the CUDA 12 libraries (cuBLAS, cuDNN 9), or set device = "cpu"')


class FasterWhisperSTT:
    """Whisper through faster-whisper, set up for short turns: greedy, no timestamps, no own VAD."""

    def __init__(self, config: SttConfig, prompt: str = ""):
        from faster_whisper import WhisperModel

        self.config = config
        self.prompt = prompt or None
        if config.device == "cuda":
            require_cuda()
        self.model = WhisperModel(
            str(whisper_model_dir(config.model)),
            device=config.device,
            compute_type=config.compute_type,
            cpu_threads=config.cpu_threads,
        )
        self.transcribe(AudioChunk(np.zeros(WHISPER_RATE // 2, dtype=np.int16).tobytes()))  # warm-up

    def _prompt(self, listening: Listening | None) -> str | None:
        return (listening.prompt if listening else "") or self.prompt

    def transcribe(self, audio: AudioChunk, listening: Listening | None = None) -> str:
        return without_phantom_tail(self.transcribe_uncut(audio, listening))

    def transcribe_uncut(self, audio: AudioChunk, listening: Listening | None = None) -> str:
        """The words as Whisper wrote them, its inventions after the speech too."""
        if audio.format.rate != WHISPER_RATE:
            raise AudioFormatError(f"Whisper needs {WHISPER_RATE} Hz audio, got {audio.format.rate} Hz")
        segments, _info = self.model.transcribe(
            int16_to_float(audio.to_array()),
            language=self.config.language,
            beam_size=self.config.beam_size,
            temperature=0.0,
            without_timestamps=True,
            condition_on_previous_text=False,
            vad_filter=False,
            # A number read out is heard best unprimed: primed with the prompt's digit words, Whisper
            # may write one more ("five five five five"); the README's levers table measures both.
            initial_prompt=None if listening and listening.expect == Expect.DIGITS else self._prompt(listening),
            hotwords=listening.hotwords or None if listening else None,
        )
        heard = [s for s in segments if not (s.no_speech_prob > PHANTOM_NO_SPEECH and s.avg_logprob < PHANTOM_LOGPROB)]
        return " ".join(segment.text.strip() for segment in heard).strip()


def without_phantom_tail(text: str) -> str:
    return PHANTOM_TAIL.sub("", text)

