"""Not answering itself: what the speaker played, echo cancellation, and a gate for what echo is left."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

import numpy as np

from parley.voice.audio import StreamResampler

ECHO_TAIL_SECONDS = 0.3  # a room (and the audio server) returns the voice up to this late
SILENT_RMS = 30.0  # output quieter than this explains no echo
RATIOS_KEPT = 150  # 3 s of 20 ms blocks: how much the coupling estimate remembers
INITIAL_COUPLING = 1.0  # until measured, assume the microphone hears Parley as loud as it plays


@dataclass(frozen=True)
class PlayedBlock:
    starts: float  # time.monotonic() at which the DAC plays its first sample
    seconds: float
    rms: float
    reference: np.ndarray  # int16 at the pipeline's rate: what the echo canceller subtracts
    reference_starts: float  # when the reference's first sample played (the resampler holds some back)
    reference_ends: float


class PlayedAudio:
    """What the speaker actually handed to the device, and when it is heard. Written by the audio
    callback (one small append per block), read by the echo filters on the event loop."""

    def __init__(self, rate: int, reference_rate: int = 16000, keep_seconds: float = 5.0,
                 block_seconds: float = 0.02):
        self.rate = rate
        self.reference_rate = reference_rate
        self._blocks: deque[PlayedBlock] = deque(maxlen=int(keep_seconds / block_seconds))
        self._lock = threading.Lock()
        # One stream for the reference, block after block: converting each block alone would put
        # an artefact at every block edge into what the canceller subtracts. Converting a block
        # takes microseconds, so the audio callback can afford it.
        self._resampler = StreamResampler(reference_rate)

    def add(self, samples: np.ndarray, starts: float) -> None:
        rms = float(np.sqrt(np.mean(samples.astype(np.float32) ** 2))) if len(samples) else 0.0
        seconds = len(samples) / self.rate
        with self._lock:
            reference = self._resampler(samples, self.rate)
            reference_ends = starts + seconds - self._resampler.held_seconds
            reference_starts = reference_ends - len(reference) / self.reference_rate
            self._blocks.append(PlayedBlock(starts, seconds, rms, reference, reference_starts, reference_ends))

    def during(self, start: float, end: float) -> list[PlayedBlock]:
        with self._lock:
            return [b for b in self._blocks if b.starts < end and b.starts + b.seconds > start]

    def loudest(self, start: float, end: float) -> float:
        """The highest block level heard between `start` and `end`: what echo could be in the mic then."""
        return max((b.rms for b in self.during(start, end)), default=0.0)

    def samples(self, start: float, end: float) -> np.ndarray:
        """What played between `start` and `end`, at the reference rate, silence where nothing did."""
        rate = self.reference_rate
        out = np.zeros(int(round((end - start) * rate)), dtype=np.int16)
        with self._lock:
            blocks = [b for b in self._blocks if b.reference_starts < end and b.reference_ends > start]
        for block in blocks:
            audio = block.reference
            at = int(round((block.reference_starts - start) * rate))
            lo, hi = max(at, 0), min(at + len(audio), len(out))
            if hi > lo:
                out[lo:hi] = audio[lo - at : hi - at]
        return out


class EchoGate:
    """While Parley speaks, counts as the user only what is clearly louder than the echo its own
    voice explains, so the endpointer never hears Parley as the user.

    The echo's level is the loudest output of the last ECHO_TAIL_SECONDS times the room's
    coupling (microphone level per output level), learned while Parley speaks as the 90th
    percentile of what the microphone hears: the echo is there all the time, while a user who
    talks over Parley stops it within a few blocks.
    """

    def __init__(self, played: PlayedAudio, margin_db: float):
        self.played = played
        self.margin = 10 ** (margin_db / 20)
        self._ratios: deque[float] = deque(maxlen=RATIOS_KEPT)
        self.gated_blocks = 0

    def coupling(self) -> float:
        if len(self._ratios) < 10:
            return INITIAL_COUPLING
        return float(np.percentile(self._ratios, 90))

    def explains(self, near: np.ndarray, captured_at: float, rate: int) -> bool:
        """Whether this block is no more than the echo of Parley's own voice."""
        end = captured_at + len(near) / rate
        far = self.played.loudest(captured_at - ECHO_TAIL_SECONDS, end)
        if far < SILENT_RMS:
            return False
        level = float(np.sqrt(np.mean(near.astype(np.float32) ** 2)))
        self._ratios.append(level / far)
        if level > far * self.coupling() * self.margin:
            return False
        self.gated_blocks += 1
        return True


class WebRtcEchoCanceller:
    """WebRTC's AEC3 (pywebrtc-audio): subtracts Parley's voice, as the room returns it, from the microphone."""

    def __init__(self, played: PlayedAudio, rate: int):
        from pywebrtc_audio import AudioProcessor

        self.played = played
        self.rate = rate
        self._processor = AudioProcessor(sample_rate=rate, echo_cancellation=True)

    def process(self, near: np.ndarray, captured_at: float, rate: int) -> np.ndarray:
        far = self.played.samples(captured_at, captured_at + len(near) / rate)
        return self._processor.process(near, far)


class EchoFilter:
    """The microphone's path in `parley talk`, per the `talk.echo` mode:

    - "gate": the echo gate alone: blocks that Parley's own voice explains are marked echo, so
      the endpointer takes them as quiet; the audio itself is left as it is, so speech-to-text
      still hears a caller's first syllables where they talked over Parley.
    - "webrtc": the same gate, deciding on the microphone as it is (a steady measure of the
      room), and the audio through WebRTC's echo cancellation, so a caller talking over Parley
      reaches speech-to-text without Parley's voice under theirs.
    - "off": nothing; for headphones.
    """

    def __init__(self, mode: str, played: PlayedAudio, rate: int, margin_db: float):
        self.gate = EchoGate(played, margin_db) if mode in ("webrtc", "gate") else None
        self.canceller = WebRtcEchoCanceller(played, rate) if mode == "webrtc" else None

    def process(self, near: np.ndarray, captured_at: float, rate: int) -> tuple[np.ndarray, bool]:
        """The block to transcribe, and whether it is only Parley's echo (not to be taken as speech)."""
        echo = self.gate is not None and self.gate.explains(near, captured_at, rate)
        return (self.canceller.process(near, captured_at, rate) if self.canceller else near), echo
