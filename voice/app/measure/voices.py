"""Caller voices that are not Parley's own: espeak-ng's and Flite's voices, over a wideband or a telephone line."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import wave
from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np

from parley.configs.files import ConfigError
from parley.voice.app.measure.utterances import CALLER_LENGTH_SCALE, caller_lines, trim_end, trim_start, with_noise
from parley.voice.audio import AudioFormatError, resample
from parley.voice.reply import Engines

PHONE_RATE = 8000
MU = 255.0


@dataclass(frozen=True)
class CallerVoice:
    """`piper` (Parley's own voice, a little slower), `espeak:VOICE` (an espeak-ng voice, e.g.
    `espeak:en-us+f3`) or `flite:VOICE` (a CMU Flite voice recorded from a person: slt, rms, awb);
    `phone`: through a G.711 telephone line (8 kHz, µ-law); `noise_snr_db`: with noise at that SNR."""

    name: str = "piper"
    phone: bool = False
    noise_snr_db: float | None = None

    @classmethod
    def parse(cls, spec: str) -> CallerVoice:
        """`piper`, `espeak:en-gb`, `flite:slt`, any of them followed by `/phone` and/or `/noise15`
        (noise at 15 dB SNR)."""
        name, *lines = spec.split("/")
        if name != "piper" and not name.startswith(("espeak:", "flite:")):
            raise ConfigError(f"unknown caller voice {spec!r}: piper, espeak:VOICE or flite:VOICE, "
                              "optionally /phone and /noiseDB")
        noise = [float(line[5:]) for line in lines if re.fullmatch(r"noise\d+(\.\d+)?", line)]
        unknown = [line for line in lines if line != "phone" and not re.fullmatch(r"noise\d+(\.\d+)?", line)]
        if unknown:
            raise ConfigError(f"unknown line {unknown[0]!r} in {spec!r}: /phone or /noiseDB (e.g. /noise15)")
        return cls(name, "phone" in lines, noise[0] if noise else None)

    def __str__(self) -> str:
        noise = f"/noise{self.noise_snr_db:g}" if self.noise_snr_db is not None else ""
        return self.name + ("/phone" if self.phone else "") + noise

    def speak(self, engines: Engines, texts: list[str], rate: int) -> list[np.ndarray]:
        """Each text in this voice, over this line, as int16 at `rate`."""
        engine, _, voice = self.name.partition(":")
        if engine == "piper":
            return self._over_line(caller_lines(engines, texts, rate, CALLER_LENGTH_SCALE), rate)
        return self._over_line([SYNTHESIZERS[engine](text, voice, rate) for text in texts], rate)

    def speak_paused(self, engines: Engines, parts: list[str], pauses_ms: list[int], rate: int) -> np.ndarray:
        """One sentence said in `parts` with these pauses between them. espeak-ng says it as one
        sentence (SSML breaks: the voice does not fall as at a sentence's end before a pause, as a
        person's does not); the others say each part alone, joined by silence."""
        engine, _, voice = self.name.partition(":")
        if engine == "espeak":
            breaks = "".join(f'{escape(part)} <break time="{ms}ms"/> ' for part, ms in zip(parts, pauses_ms))
            return self._over_line([espeak(f"<speak>{breaks}{escape(parts[-1])}</speak>", voice, rate, ssml=True)],
                                   rate)[0]
        spoken = [trim_start(part) for part in self.speak(engines, parts, rate)]  # the pauses exactly as long as said
        joined = [trim_end(spoken[0])]
        for part, ms in zip(spoken[1:], pauses_ms):
            joined += [np.zeros(rate * ms // 1000, dtype=np.int16), trim_end(part)]
        return np.concatenate(joined)

    def _over_line(self, lines: list[np.ndarray], rate: int) -> list[np.ndarray]:
        if self.noise_snr_db is not None:  # in the caller's room, before the line
            rng = np.random.default_rng(11)
            lines = [with_noise(line, self.noise_snr_db, rng) for line in lines]
        return [telephone(line, rate) for line in lines] if self.phone else lines


def espeak(text: str, voice: str, rate: int, ssml: bool = False) -> np.ndarray:
    return _synthesized(["espeak-ng", *(["-m"] if ssml else []), "-v", voice, "-s", "155", "--stdout", text], rate)


def flite(text: str, voice: str, rate: int) -> np.ndarray:
    return _synthesized(["flite", "-voice", voice, "-t", text, "-o", "/dev/stdout"], rate)


SYNTHESIZERS = {"espeak": espeak, "flite": flite}
PACKAGES = {"espeak-ng": "espeak-ng", "flite": "flite"}


def _synthesized(command: list[str], rate: int) -> np.ndarray:
    """A text-to-speech command's WAV output, at `rate`."""
    if shutil.which(command[0]) is None:
        raise AudioFormatError(f"{command[0]} is not installed (apt install {PACKAGES[command[0]]})")
    made = subprocess.run(command, capture_output=True, check=True)
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
