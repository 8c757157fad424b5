"""Reading and writing WAV files, with clear errors for audio Parley cannot use."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from parley.voice.audio import (
    AudioChunk,
    AudioFormat,
    AudioFormatError,
    require_mono16,
    resample_chunk,
)


def read_wav(path: Path | str) -> AudioChunk:
    """The whole file as one chunk in its own format; refuses files that are not usable WAVs."""
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as wav:
            fmt = AudioFormat(wav.getframerate(), wav.getsampwidth(), wav.getnchannels())
            audio = wav.readframes(wav.getnframes())
    except FileNotFoundError:
        raise AudioFormatError(f"{path}: no such file") from None
    except (wave.Error, EOFError, RuntimeError, ValueError) as error:  # the wave module raises bare RuntimeError on a
        # chunk that claims more bytes than the file holds (found by tests/test_fuzz.py)
        raise AudioFormatError(f"{path}: not a readable WAV file ({error or type(error).__name__})") from None
    if not audio:
        raise AudioFormatError(f"{path}: the WAV file holds no audio")
    return AudioChunk(audio, fmt)


def read_mono16(path: Path | str, rate: int) -> AudioChunk:
    """A WAV file as 16-bit mono at `rate`, for the pipeline's input."""
    chunk = read_wav(path)
    try:
        require_mono16(chunk.format)
    except AudioFormatError as error:
        raise AudioFormatError(f"{path}: {error}") from None
    return resample_chunk(chunk, rate)


def write_wav(path: Path | str, chunk: AudioChunk) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setframerate(chunk.format.rate)
        wav.setsampwidth(chunk.format.width)
        wav.setnchannels(chunk.format.channels)
        wav.writeframes(chunk.audio)
    return path


def interleave(channels: list[np.ndarray], rate: int) -> AudioChunk:
    """One multi-channel 16-bit chunk from int16 channels, padded to the longest."""
    length = max(len(c) for c in channels)
    frames = np.zeros((length, len(channels)), dtype=np.int16)
    for i, channel in enumerate(channels):
        frames[: len(channel), i] = channel
    return AudioChunk(frames.tobytes(), AudioFormat(rate, 2, len(channels)))
