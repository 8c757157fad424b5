"""Does concealing lost G.711 packets help speech-to-text? The bench sentences in three voices that
are not Parley's, through G.711 with packets lost by the bad line's schedule, the gaps left silent,
filled by aiortp's concealer (the last packet repeated, fading over 60 ms: what `parley phone` uses),
or by pitch after ITU-T G.711 Appendix I (below), each transcribed by Parley's speech-to-text.
`python -m tests.concealment_compared` (about 10 minutes on two cores)."""

import numpy as np
from aiortp.codecs.g711 import PcmuCodec
from aiortp.plc import PcmConcealer

from parley.voice.app.measure.bad_line import Impairment, Schedule
from parley.voice.app.measure.scores import word_error_rate
from parley.voice.app.measure.utterances import BENCH_SENTENCES
from parley.voice.app.measure.voices import espeak, flite
from parley.voice.app.settings import load_config
from parley.voice.app.wiring import load_engines
from parley.voice.audio import AudioChunk, AudioFormat, resample

RATE = 8000
SHORTEST_PERIOD, LONGEST_PERIOD = 40, 120  # 5 to 15 ms at 8 kHz: the pitch periods of speaking voices
MATCHED = 160  # the last 20 ms heard, matched against itself one period back
HISTORY = MATCHED + LONGEST_PERIOD
FULL_FOR = 80  # the first 10 ms concealed at full strength (Appendix I) ...
FADE_PER_SAMPLE = 0.2 / 80  # ... then 20% weaker every 10 ms: silent at 60 ms
BLEND_BASE, BLEND_PER_10MS, BLEND_MOST = 32, 32, 80  # the next packet blends in over 4 ms, 4 more per 10 ms lost


def pitch_period(history: np.ndarray) -> int:
    """The lag, in samples, at which the last 20 ms best match the 20 ms one lag earlier."""
    recent = history[-MATCHED:]
    best, best_score = SHORTEST_PERIOD, -np.inf
    for lag in range(SHORTEST_PERIOD, LONGEST_PERIOD + 1):
        earlier = history[-MATCHED - lag : -lag]
        energy = float(np.dot(earlier, earlier)) or 1.0
        score = float(np.dot(recent, earlier)) / np.sqrt(energy)
        if score > best_score:
            best, best_score = lag, score
    return best


class PitchConcealer:
    """Keeps the last 35 ms heard; `conceal` makes up lost samples, `heard` passes real ones on,
    blending the first of them after a loss into the made-up voice."""

    def __init__(self) -> None:
        self.history = np.zeros(HISTORY, dtype=np.float64)
        self.lost = 0  # samples made up since the last real packet
        self.period = SHORTEST_PERIOD

    def heard(self, pcm: np.ndarray) -> np.ndarray:
        samples = pcm.astype(np.float64)
        if self.lost:
            samples = self._blended(samples)
        self.lost = 0
        self._keep(samples)
        return samples.astype(np.int16)

    def conceal(self, count: int) -> np.ndarray:
        if not self.lost:
            self.period = pitch_period(self.history)
            self.cycle = self.history[-self.period :].copy()
        made = self._made_up(self.lost, count)
        self.lost += count
        return made.astype(np.int16)

    def _made_up(self, start: int, count: int) -> np.ndarray:
        """Samples `start` to `start + count` of the concealment: the period repeated, faded."""
        offsets = np.arange(start, start + count)
        fade = np.clip(1.0 - np.maximum(offsets - FULL_FOR, 0) * FADE_PER_SAMPLE, 0.0, 1.0)
        return self.cycle[offsets % self.period] * fade

    def _blended(self, samples: np.ndarray) -> np.ndarray:
        span = min(len(samples), BLEND_MOST, BLEND_BASE + BLEND_PER_10MS * (self.lost // 80))
        weight = np.arange(1, span + 1) / (span + 1)
        blended = samples.copy()
        blended[:span] = weight * samples[:span] + (1 - weight) * self._made_up(self.lost, span)
        return blended

    def _keep(self, samples: np.ndarray) -> None:
        self.history = np.concatenate([self.history, samples])[-HISTORY:]


VOICES = {"flite:slt": lambda text: flite(text, "slt", 8000), "flite:rms": lambda text: flite(text, "rms", 8000),
          "espeak:en-us": lambda text: espeak(text, "en-us", 8000)}
LINES = [(0, 1), (3, 1), (5, 1), (5, 3)]  # percent lost, mean run of losses


def packets(audio: np.ndarray) -> list[np.ndarray]:
    """The audio as a phone sends it: 20 ms packets of G.711 µ-law, decoded."""
    codec = PcmuCodec()
    audio = np.concatenate([audio, np.zeros((-len(audio)) % 160, np.int16)])
    return [np.frombuffer(codec.decode(codec.encode(audio[i : i + 160].tobytes())), "<i2")
            for i in range(0, len(audio), 160)]


def received(sent: list[np.ndarray], lost: list[bool], how: str) -> np.ndarray:
    if how == "pitch":
        pitch = PitchConcealer()
        return np.concatenate([pitch.conceal(160) if gone else pitch.heard(packet) for packet, gone in zip(sent, lost)])
    if how == "repeat":
        repeat, out = PcmConcealer(8000), []
        for packet, gone in zip(sent, lost):
            if not gone:
                repeat.update(packet.tobytes())
            out.append(np.frombuffer(repeat.conceal(160), "<i2") if gone else packet)
        return np.concatenate(out)
    return np.concatenate([np.zeros(160, np.int16) if gone else packet for packet, gone in zip(sent, lost)])


def main() -> None:
    engines = load_engines(load_config(None))
    texts = [sentence.replace(" | ", " ") for sentence in BENCH_SENTENCES]
    lines = [(text, packets(say(text))) for say in VOICES.values() for text in texts]
    for loss, burst in LINES:
        for how in ("silence", "repeat", "pitch") if loss else ("none lost",):
            pairs = []
            for seed, (text, sent) in enumerate(lines, 1):
                schedule = Schedule(Impairment(loss_pct=loss, burst=burst, seed=seed))
                audio = resample(received(sent, [schedule.next_delay() is None for _ in sent], how), 8000, 16000)
                pairs.append((text, engines.stt.transcribe(AudioChunk(audio.astype(np.int16).tobytes(), AudioFormat(16000)))))
            print(f"{loss}% lost in runs of {burst}, {how}: WER {word_error_rate(pairs):.3f} over {len(pairs)} lines", flush=True)


if __name__ == "__main__":
    main()
