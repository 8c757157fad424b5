"""Audio chunks that carry their own format, conversions between formats, and resampling."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SUPPORTED_RATES = (8000, 16000, 22050, 24000, 32000, 44100, 48000)


class AudioFormatError(ValueError):
    """Audio whose format a stage cannot take; the message says what was expected."""


@dataclass(frozen=True)
class AudioFormat:
    rate: int = 16000
    width: int = 2
    channels: int = 1

    def __str__(self) -> str:
        return f"{self.rate} Hz, {8 * self.width}-bit, {self.channels} channel(s)"


PCM16_MONO_16K = AudioFormat()


@dataclass(frozen=True)
class AudioChunk:
    """Raw PCM bytes and the format they are in."""

    audio: bytes
    format: AudioFormat = PCM16_MONO_16K
    echo: bool = False  # only the agent's own voice coming back: kept for transcription, never taken as speech

    @property
    def samples(self) -> int:
        """Samples per channel."""
        return len(self.audio) // (self.format.width * self.format.channels)

    @property
    def seconds(self) -> float:
        return self.samples / self.format.rate

    def to_array(self) -> np.ndarray:
        """Mono int16 samples; refuses other widths and channel counts."""
        require_mono16(self.format)
        return np.frombuffer(self.audio, dtype=np.int16)

    @classmethod
    def from_array(cls, samples: np.ndarray, rate: int) -> AudioChunk:
        """A mono 16-bit chunk from int16 samples, or from floats in [-1, 1]."""
        if samples.dtype != np.int16:
            samples = float_to_int16(samples)
        return cls(samples.tobytes(), AudioFormat(rate, 2, 1))


def require_mono16(fmt: AudioFormat) -> None:
    if fmt.width != 2:
        raise AudioFormatError(f"expected 16-bit samples, got {8 * fmt.width}-bit ({fmt})")
    if fmt.channels != 1:
        raise AudioFormatError(f"expected mono audio, got {fmt.channels} channels ({fmt})")


def float_to_int16(samples: np.ndarray) -> np.ndarray:
    return (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)


def int16_to_float(samples: np.ndarray) -> np.ndarray:
    return samples.astype(np.float32) / 32768.0


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Mono int16 or float samples at `to_rate`, low-pass filtered first when downsampling."""
    for rate in (from_rate, to_rate):
        if rate not in SUPPORTED_RATES:
            raise AudioFormatError(f"unsupported sample rate {rate} Hz (supported: {SUPPORTED_RATES})")
    if from_rate == to_rate or len(samples) == 0:
        return samples
    dtype = samples.dtype
    x = int16_to_float(samples) if dtype == np.int16 else samples.astype(np.float32)
    if to_rate < from_rate:
        x = _low_pass(x, cutoff=0.45 * to_rate / from_rate)
    n_out = int(round(len(x) * to_rate / from_rate))
    positions = np.arange(n_out) * (from_rate / to_rate)
    y = np.interp(positions, np.arange(len(x)), x).astype(np.float32)
    return float_to_int16(y) if dtype == np.int16 else y


def resample_chunk(chunk: AudioChunk, to_rate: int) -> AudioChunk:
    if chunk.format.rate == to_rate:
        return chunk
    return AudioChunk.from_array(resample(chunk.to_array(), chunk.format.rate, to_rate), to_rate)


def _low_pass(x: np.ndarray, cutoff: float, taps: int = 63) -> np.ndarray:
    """Windowed-sinc FIR; `cutoff` is a fraction of the input sample rate (Nyquist is 0.5)."""
    n = np.arange(taps) - (taps - 1) / 2
    kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(taps)
    kernel /= kernel.sum()
    return np.convolve(x, kernel.astype(np.float32), mode="same")
