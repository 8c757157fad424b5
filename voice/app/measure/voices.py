"""Caller voices that are not Parley's own: espeak-ng's voices, over a wideband or a telephone line."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from dataclasses import dataclass

import numpy as np

from configs.files import ConfigError
from voice.app.measure.utterances import CALLER_LENGTH_SCALE, caller_lines
from voice.audio import AudioFormatError, resample
from voice.reply import Engines

PHONE_RATE = 8000
MU = 255.0


@dataclass(frozen=True)
class CallerVoice:
    """`piper` (Parley's own voice, a little slower) or `espeak:VOICE` (an espeak-ng voice, e.g.
    `espeak:en-us+f3`); `phone`: through a G.711 telephone line (8 kHz, µ-law)."""

    name: str = "piper"
    phone: bool = False

    @classmethod
    def parse(cls, spec: str) -> CallerVoice:
        """`piper`, `espeak:en-gb`, or either with `/phone` after it."""
        name, _, line = spec.partition("/")
        if name != "piper" and not name.startswith("espeak:"):
            raise ConfigError(f"unknown caller voice {spec!r}: piper or espeak:VOICE, optionally /phone")
        if line not in ("", "phone"):
            raise ConfigError(f"unknown line {line!r} in {spec!r}: only /phone")
        return cls(name, line == "phone")

    def __str__(self) -> str:
        return self.name + ("/phone" if self.phone else "")

    def speak(self, engines: Engines, texts: list[str], rate: int) -> list[np.ndarray]:
        """Each text in this voice, over this line, as int16 at `rate`."""
        if self.name == "piper":
            lines = caller_lines(engines, texts, rate, CALLER_LENGTH_SCALE)
        else:
            lines = [espeak(text, self.name.partition(":")[2], rate) for text in texts]
        return [telephone(line, rate) for line in lines] if self.phone else lines


def espeak(text: str, voice: str, rate: int) -> np.ndarray:
    if shutil.which("espeak-ng") is None:
        raise AudioFormatError("espeak-ng is not installed (apt install espeak-ng)")
    made = subprocess.run(["espeak-ng", "-v", voice, "-s", "155", "--stdout", text], capture_output=True, check=True)
    with wave.open(io.BytesIO(made.stdout)) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
        return resample(samples, wav.getframerate(), rate)


def telephone(audio: np.ndarray, rate: int) -> np.ndarray:
    """`audio` as a phone line carries it: band-limited to 8 kHz sampling, µ-law companded to 8 bits."""
    narrow = resample(audio, rate, PHONE_RATE).astype(np.float64) / 32768
    companded = np.sign(narrow) * np.log1p(MU * np.abs(narrow)) / np.log1p(MU)
    coded = np.round(companded * 127) / 127  # the 8 bits that travel
    expanded = np.sign(coded) * np.expm1(np.abs(coded) * np.log1p(MU)) / MU
    return resample(np.clip(expanded * 32768, -32768, 32767).astype(np.int16), PHONE_RATE, rate)
