"""Caller audio for the measurements: Piper-spoken lines, the bench's sentences, recorded files, noise."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from parley.voice.audio import AudioFormatError, resample
from parley.voice.reply import Engines
from parley.voice.tts import PiperTTS
from parley.voice.wav import read_mono16

CALLER_LENGTH_SCALE = 1.1  # the caller speaks a little slower than Parley, to tell them apart


def caller_lines(engines: Engines, texts: list[str], rate: int, length_scale: float) -> list[np.ndarray]:
    """Each text spoken by Piper, at the pipeline's rate."""
    tts = engines.tts
    if not isinstance(tts, PiperTTS):
        raise TypeError("scripted callers speak with Piper: load Piper as the TTS engine")
    return [resample(tts.speak(text, length_scale), tts.format.rate, rate) for text in texts]


# "|" marks a pause inside the turn, where people stop to think; the turn is not over there.
BENCH_SENTENCES = (
    "Hi there.",
    "I would like to book a table for | two people on Friday evening.",
    "Can you tell me what time you open on Sunday?",
    "Actually, make it five people instead of four.",
    "Yes, that's right.",
    "My phone number is five five five, | two three four, | nine eight seven six.",
    "Do you have anything free tomorrow around eight o'clock?",
    "We will need a high chair for our daughter, and | one of us is allergic to peanuts.",
    "No.",
    "Could you please cancel my reservation for | Saturday night?",
    "What is your address?",
    "Thanks a lot, that's everything for today, goodbye.",
)
SPEAKING_RATES = (1.0, 0.85, 1.25)  # Piper length scales: normal, fast, slow
NOISY_EVERY = 3  # every third utterance gets background noise
NOISE_SNR_DB = 15.0
PAUSES_MS = (300, 450, 600)  # the pauses inside turns, in turn



@dataclass
class Utterance:
    audio: np.ndarray  # int16 at the pipeline's rate
    text: str | None  # what was said, when known


def synthetic_utterances(engines: Engines, turns: int, rate: int) -> list[Utterance]:
    """Bench sentences at varied speaking rates, some with noise mixed in."""
    rng = np.random.default_rng(11)
    utterances = []
    pauses = iter(PAUSES_MS * turns)
    for i in range(turns):
        parts = BENCH_SENTENCES[i % len(BENCH_SENTENCES)].split(" | ")
        spoken = caller_lines(engines, parts, rate, SPEAKING_RATES[i % len(SPEAKING_RATES)])
        audio = spoken[-1]
        for part in reversed(spoken[:-1]):
            gap = np.zeros(rate * next(pauses) // 1000, dtype=np.int16)
            audio = np.concatenate([trim_end(part), gap, audio])
        if i % NOISY_EVERY == NOISY_EVERY - 1:
            audio = with_noise(audio, NOISE_SNR_DB, rng)
        utterances.append(Utterance(audio, " ".join(parts)))
    return utterances


def trim_end(audio: np.ndarray, threshold: int = 100) -> np.ndarray:
    """The audio without its trailing silence, so a pause between parts is exactly as long as said."""
    loud = np.flatnonzero(np.abs(audio.astype(np.int32)) > threshold)
    return audio[: loud[-1] + 1] if len(loud) else audio


def trim_start(audio: np.ndarray, threshold: int = 100) -> np.ndarray:
    """The audio from its first sound on (Flite starts every line with a fifth of a second of quiet)."""
    loud = np.flatnonzero(np.abs(audio.astype(np.int32)) > threshold)
    return audio[loud[0]:] if len(loud) else audio


def with_noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    signal = audio.astype(np.float32)
    voiced = signal[np.abs(signal) > 0.02 * np.abs(signal).max()]
    noise_rms = np.sqrt(np.mean(voiced**2)) / 10 ** (snr_db / 20)
    noisy = signal + rng.normal(0, noise_rms, len(signal))
    return np.clip(noisy, -32768, 32767).astype(np.int16)


def recorded_utterances(folder: Path, rate: int) -> list[Utterance]:
    """The user's NAME.wav files (any common rate) with their NAME.txt transcripts where present."""
    files = sorted(folder.glob("*.wav"))
    if not files:
        raise AudioFormatError(f"{folder}: no .wav files to benchmark")
    utterances = []
    for wav in files:
        transcript = wav.with_suffix(".txt")
        text = transcript.read_text(encoding="utf-8").strip() if transcript.exists() else None
        utterances.append(Utterance(read_mono16(wav, rate).to_array(), text))
    return utterances
