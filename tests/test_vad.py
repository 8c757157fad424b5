import numpy as np
import pytest

from parley.voice.audio import AudioChunk, AudioFormat, AudioFormatError
from parley.voice.config import VadConfig
from parley.voice.streams import split
from parley.voice.vad import (
    Endpointer,
    SpeechEnded,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
)

RATE = 16000
TOLERANCE = int(0.060 * RATE)  # 60 ms


def config(**changes) -> VadConfig:
    values = dict(aggressiveness=2, frame_ms=30, start_ms=120, end_silence_ms=400, pause_ms=90,
                  finished_wait_ms=200, unfinished_wait_ms=1000, preroll_ms=150,
                  min_level_dbfs=-50.0)
    return VadConfig(**{**values, **changes})


def voiced_bounds(speech: np.ndarray) -> tuple[int, int]:
    """First and one-past-last sample of audible speech: 10 ms windows within 35 dB of the peak."""
    window = RATE // 100
    frames = speech[: len(speech) // window * window].astype(np.float32).reshape(-1, window)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    loud = np.flatnonzero(rms > rms.max() * 10 ** (-35 / 20))
    return int(loud[0] * window), int((loud[-1] + 1) * window)


def steady_speech(engines, text: str) -> np.ndarray:
    """Piper's steady speech (no sampling noise), so every run hears the same audio."""
    from parley.voice.audio import resample

    return resample(engines.tts.speak(text), engines.tts.format.rate, RATE)


def feed_all(endpointer: Endpointer, audio: np.ndarray, chunk_ms: int = 20) -> list:
    events = []
    for chunk in split(AudioChunk(audio.tobytes()), chunk_ms):
        events += endpointer.feed(chunk)
    return events


def turns(events: list) -> list:
    """Only the start and end of turns, without the pauses inside them."""
    return [e for e in events if isinstance(e, (SpeechStarted, SpeechEnded))]


def silence(seconds: float) -> np.ndarray:
    noise = np.random.default_rng(3).normal(0, 30, int(seconds * RATE))
    return noise.astype(np.int16)


# webrtcvad misses up to 100 ms of a soft onset or a fading final fricative (the "s" of "yes",
# the "z" of "Lopez"): the session pads the audio it hands to STT for that. These sentences
# start and end on voiced sounds, where the 60 ms bound holds.
@pytest.mark.parametrize("text", ["Could I book a table for two tonight?", "Book a table for four.", "Tomorrow at nine."])
def test_boundaries_on_synthetic_speech_land_within_60_ms(engines, text):
    speech = steady_speech(engines, text)
    first, last = voiced_bounds(speech)
    lead = int(0.8 * RATE)
    audio = np.concatenate([silence(0.8), speech, silence(1.0)])
    events = turns(feed_all(Endpointer(config(), RATE), audio))
    assert [type(e) for e in events] == [SpeechStarted, SpeechEnded]
    started, ended = events
    assert abs(started.sample - (lead + first)) <= TOLERANCE
    assert abs(ended.start - (lead + first)) <= TOLERANCE
    assert abs(ended.end - (lead + last)) <= TOLERANCE


class ScriptedDetector:
    """Says "speech" for the frames listed, to test the endpointing logic alone."""

    def __init__(self, voiced: str):
        self.voiced = iter(voiced)

    def is_speech(self, frame: bytes, rate: int) -> bool:
        return next(self.voiced, "_") == "#"


def run_frames(pattern: str, **changes) -> list:
    frame = RATE * 30 // 1000
    endpointer = Endpointer(config(**changes), RATE, ScriptedDetector(pattern))
    loud = np.full(frame * len(pattern), 3000, dtype=np.int16)  # above the level gate throughout
    return feed_all(endpointer, loud, chunk_ms=30)


def test_a_pause_shorter_than_the_endpoint_wait_stays_in_the_turn():
    frame = RATE * 30 // 1000
    # 10 voiced frames, 300 ms pause, 10 voiced, then 600 ms of silence; the wait is 400 ms.
    events = run_frames("_" * 5 + "#" * 10 + "_" * 10 + "#" * 10 + "_" * 20)
    assert events == [SpeechStarted(5 * frame), SpeechPaused(5 * frame, 15 * frame), SpeechResumed(25 * frame, 300.0),
                      SpeechPaused(5 * frame, 35 * frame), SpeechEnded(5 * frame, 35 * frame)]


def test_the_wait_can_be_shortened_during_a_pause_and_ends_the_turn_at_once():
    frame = RATE * 30 // 1000
    endpointer = Endpointer(config(), RATE, ScriptedDetector("#" * 10 + "_" * 20))
    events = feed_all(endpointer, np.full(frame * 18, 3000, dtype=np.int16), chunk_ms=30)  # 240 ms of quiet
    assert events == [SpeechStarted(0), SpeechPaused(0, 10 * frame)]
    assert endpointer.wait(200) == SpeechEnded(0, 10 * frame)
    assert endpointer.wait_ms == 400  # the next turn starts with the configured wait again


def test_the_endpoint_wait_is_configurable():
    frame = RATE * 30 // 1000
    events = turns(run_frames("#" * 10 + "_" * 10 + "#" * 10 + "_" * 20, end_silence_ms=200))
    assert events == [SpeechStarted(0), SpeechEnded(0, 10 * frame), SpeechStarted(20 * frame),
                      SpeechEnded(20 * frame, 30 * frame)]


def test_a_click_shorter_than_start_ms_starts_no_turn():
    assert run_frames("_" * 5 + "###" + "_" * 30, start_ms=120) == []


def test_chunk_size_does_not_matter(speak):
    audio = np.concatenate([silence(0.5), speak("Hello there."), silence(0.8)])
    by_10 = feed_all(Endpointer(config(), RATE), audio, chunk_ms=10)
    by_100 = feed_all(Endpointer(config(), RATE), audio, chunk_ms=100)
    assert by_10 == by_100 and len(turns(by_10)) == 2


def test_faint_hiss_is_not_speech(speak):
    hiss = np.random.default_rng(5).normal(0, 65, RATE * 2).astype(np.int16)  # about -54 dBFS
    audio = np.concatenate([hiss, speak("Yes."), hiss])
    events = turns(feed_all(Endpointer(config(), RATE), audio))
    assert [type(e) for e in events] == [SpeechStarted, SpeechEnded]


def test_wrong_audio_is_refused():
    endpointer = Endpointer(config(), RATE)
    with pytest.raises(AudioFormatError, match="16000 Hz, got 44100"):
        endpointer.feed(AudioChunk(bytes(882), AudioFormat(44100, 2, 1)))
    with pytest.raises(AudioFormatError, match="mono"):
        endpointer.feed(AudioChunk(bytes(640), AudioFormat(16000, 2, 2)))
    with pytest.raises(ValueError, match="frame_ms must be 10, 20 or 30"):
        Endpointer(config(frame_ms=25), RATE)
