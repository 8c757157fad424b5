"""Audio chunks that carry their own format, conversions between formats, and resampling."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import soxr

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
    """A whole signal (mono int16 or float samples) at `to_rate`. Live audio goes through a StreamResampler."""
    _require_supported(from_rate, to_rate)
    if from_rate == to_rate or len(samples) == 0:
        return samples
    return soxr.resample(samples, from_rate, to_rate)


def resample_chunk(chunk: AudioChunk, to_rate: int) -> AudioChunk:
    if chunk.format.rate == to_rate:
        return chunk
    return AudioChunk.from_array(resample(chunk.to_array(), chunk.format.rate, to_rate), to_rate)


class StreamResampler:
    """One live stream's conversion to `rate`, block by block. The filter's state is carried from
    block to block (soxr's streaming resampler), so block edges leave no artefacts; it holds back
    a few milliseconds of the input until the next block brings what follows them."""

    def __init__(self, rate: int):
        _require_supported(rate)
        self.rate = rate
        self._from_rate = rate
        self._stream: soxr.ResampleStream | None = None
        self.held_seconds = 0.0  # input taken in but not yet given out

    def __call__(self, samples: np.ndarray, from_rate: int) -> np.ndarray:
        """Mono int16 samples at `from_rate`, continuing the stream, as int16 at `rate`."""
        if from_rate == self.rate:
            return samples
        if self._stream is None or from_rate != self._from_rate:  # a new source rate starts a new stream
            _require_supported(from_rate)
            self._stream, self._from_rate = soxr.ResampleStream(from_rate, self.rate, 1, dtype="int16"), from_rate
            self.held_seconds = 0.0
        out = self._stream.resample_chunk(samples)
        self.held_seconds += len(samples) / from_rate - len(out) / self.rate
        return out

    def chunk(self, chunk: AudioChunk) -> AudioChunk:
        if chunk.format.rate == self.rate:
            return chunk
        return AudioChunk.from_array(self(chunk.to_array(), chunk.format.rate), self.rate)

    def reset(self) -> None:
        """Forget what is held back: after a flush it will never be played."""
        if self._stream is not None:
            self._stream.clear()
        self.held_seconds = 0.0


def _require_supported(*rates: int) -> None:
    for rate in rates:
        if rate not in SUPPORTED_RATES:
            raise AudioFormatError(f"unsupported sample rate {rate} Hz (supported: {SUPPORTED_RATES})")


QUIET_DBFS = -50.0  # a frame quieter than this, or than a twentieth of the turn's loud frames, is a pause
KEPT_PAUSE_MS = 300  # what is left of a longer pause inside a turn: Whisper stops at a long one


def squeeze_pauses(chunk: AudioChunk, keep_ms: int = KEPT_PAUSE_MS, frame_ms: int = 20) -> AudioChunk:
    """The turn with each pause inside it longer than `keep_ms` cut to `keep_ms` (half its start,
    half its end). Whisper tiny.en ends its transcript at a pause of about 0.7 s and drops what is
    said after it ("..., on Tuesday, [1.1 s] at eight, please."); the pause means nothing to it."""
    samples, frame = chunk.to_array(), chunk.format.rate * frame_ms // 1000
    frames = len(samples) // frame
    if frames < 3:
        return chunk
    rms = np.sqrt(np.mean(samples[: frames * frame].astype(np.float64).reshape(frames, frame) ** 2, axis=1))
    quiet = rms < max(32768 * 10 ** (QUIET_DBFS / 20), 0.05 * np.percentile(rms, 95))
    keep, kept_frames = np.ones(len(samples), dtype=bool), keep_ms // frame_ms
    head = kept_frames // 2
    for start, end in _inner_runs(quiet):
        if end - start > kept_frames:
            keep[(start + head) * frame : (end - (kept_frames - head)) * frame] = False
    return AudioChunk(samples[keep].tobytes(), chunk.format)


def _inner_runs(quiet: np.ndarray) -> list[tuple[int, int]]:
    """The runs of quiet frames with loud frames on both sides, as (first, one past the last)."""
    runs, start, loud_seen = [], None, False
    for index, is_quiet in enumerate(quiet):
        if not is_quiet:
            if start is not None:
                runs.append((start, index))
            start, loud_seen = None, True
        elif start is None and loud_seen:
            start = index
    return runs
