"""Voice activity detection and endpointing with webrtcvad: audio in, speech start/end events out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import webrtcvad

from parley.voice.audio import AudioChunk, AudioFormatError, require_mono16
from parley.voice.config import VadConfig

VAD_RATES = (8000, 16000, 32000, 48000)


@dataclass(frozen=True)
class SpeechStarted:
    sample: int  # position in the input stream of the first voiced sample


@dataclass(frozen=True)
class SpeechPaused:
    """The user has been quiet for `pause_ms` within a turn: time to start work on it, speculatively."""

    start: int  # first voiced sample of the turn
    end: int  # one past the last voiced sample so far


@dataclass(frozen=True)
class SpeechResumed:
    """Speech again after a pause, inside the same turn: work started on the pause is void."""

    sample: int
    pause_ms: float  # how long the user was quiet before going on


@dataclass(frozen=True)
class SpeechEnded:
    start: int  # first voiced sample of the turn
    end: int  # one past the last voiced sample of the turn


class VoiceDetector(Protocol):
    def is_speech(self, frame: bytes, rate: int) -> bool: ...


class Endpointer:
    """Sans-I/O endpointing: feed chunks of any size, get events with sample positions back.

    A turn starts after `start_ms` of consecutive voiced frames and ends after `wait_ms` of unvoiced
    ones (`end_silence_ms` unless the caller of `wait` knows better); pauses shorter than that stay
    inside the turn. After `pause_ms` of quiet a `SpeechPaused` is reported, and a `SpeechResumed`
    if speech comes back. Frames quieter than `min_level_dbfs` are never speech: webrtcvad alone
    calls faint steady noise speech.
    """

    def __init__(self, config: VadConfig, rate: int = 16000, detector: VoiceDetector | None = None,
                 default_wait_ms: int | None = None):
        if rate not in VAD_RATES:
            raise AudioFormatError(f"webrtcvad needs a rate of {VAD_RATES} Hz, not {rate}")
        if config.frame_ms not in (10, 20, 30):
            raise ValueError(f"vad.frame_ms must be 10, 20 or 30, not {config.frame_ms}")
        if not 0 <= config.aggressiveness <= 3:
            raise ValueError(f"vad.aggressiveness must be 0..3, not {config.aggressiveness}")
        self.config = config
        self.rate = rate
        self._detector = detector or webrtcvad.Vad(config.aggressiveness)
        self._frame_bytes = rate * config.frame_ms // 1000 * 2
        self._min_rms = 32768 * 10 ** (config.min_level_dbfs / 20)
        self._pending = b""
        self._position = 0  # samples fed to the detector so far
        self._voiced_run_start: int | None = None
        self._turn_start: int | None = None
        self._last_voiced_end = 0
        self._paused = False
        self.default_wait_ms = default_wait_ms or config.end_silence_ms
        self.wait_ms = self.default_wait_ms

    @property
    def last_voiced_end(self) -> int:
        return self._last_voiced_end

    def wait(self, ms: int) -> SpeechEnded | None:
        """From now on this turn ends after `ms` of quiet; if it has been that quiet already, now."""
        self.wait_ms = ms
        return self._maybe_end() if self._turn_start is not None else None

    def forget_turn(self) -> None:
        """The turn in progress is no turn (a backchannel): it ends with no SpeechEnded, and what
        follows starts a new one."""
        self._new_turn()
        self._voiced_run_start = None

    @property
    def silence_ms(self) -> float:
        """How long the user has been quiet within the current turn."""
        return self._ms(self._position - self._last_voiced_end) if self._turn_start is not None else 0.0

    @property
    def in_speech(self) -> bool:
        return self._turn_start is not None

    def feed(self, chunk: AudioChunk) -> list[SpeechStarted | SpeechPaused | SpeechResumed | SpeechEnded]:
        require_mono16(chunk.format)
        if chunk.format.rate != self.rate:
            raise AudioFormatError(f"endpointer runs at {self.rate} Hz, got {chunk.format.rate} Hz")
        self._pending += chunk.audio
        events = []
        while len(self._pending) >= self._frame_bytes:
            frame, self._pending = self._pending[: self._frame_bytes], self._pending[self._frame_bytes :]
            event = self._step(self._is_speech(frame))
            if event is not None:
                events.append(event)
        return events

    def _is_speech(self, frame: bytes) -> bool:
        samples = np.frombuffer(frame, dtype=np.int16).astype(np.float32)
        loud_enough = np.sqrt(np.mean(samples**2)) >= self._min_rms
        return loud_enough and self._detector.is_speech(frame, self.rate)

    def _step(self, voiced: bool) -> SpeechStarted | SpeechPaused | SpeechResumed | SpeechEnded | None:
        frame_start, quiet_since = self._position, self._last_voiced_end
        self._position += self._frame_bytes // 2
        if voiced:
            self._last_voiced_end = self._position
            if self._voiced_run_start is None:
                self._voiced_run_start = frame_start
        elif self._position - self._last_voiced_end > self._frame_bytes // 2:
            self._voiced_run_start = None  # one unvoiced frame (a plosive's closure) does not break a run
        if self._turn_start is None:
            return self._maybe_start()
        if voiced and self._paused:
            self._paused, self.wait_ms = False, self.default_wait_ms  # what was decided on the pause is void
            return SpeechResumed(frame_start, self._ms(frame_start - quiet_since))
        if not voiced and not self._paused and self.silence_ms >= self.config.pause_ms:
            self._paused = True
            return self._maybe_end() or SpeechPaused(self._turn_start, self._last_voiced_end)
        return self._maybe_end()

    def _maybe_start(self) -> SpeechStarted | None:
        if self._voiced_run_start is None:
            return None
        if self._ms(self._last_voiced_end - self._voiced_run_start) < self.config.start_ms:
            return None
        self._turn_start = self._voiced_run_start
        return SpeechStarted(self._turn_start)

    def _maybe_end(self) -> SpeechEnded | None:
        if self.silence_ms < self.wait_ms or self._turn_start is None:
            return None
        ended = SpeechEnded(self._turn_start, self._last_voiced_end)
        self._new_turn()
        return ended

    def _new_turn(self) -> None:
        self._turn_start, self._paused, self.wait_ms = None, False, self.default_wait_ms

    def _ms(self, samples: int) -> float:
        return samples * 1000 / self.rate
