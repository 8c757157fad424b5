import wave

import numpy as np
import pytest

from parley.voice.audio import (
    AudioChunk,
    AudioFormat,
    AudioFormatError,
    StreamResampler,
    resample,
    resample_chunk,
)
from parley.voice.wav import read_mono16, read_wav, write_wav


def tone(freq: float, rate: int, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)]


def test_chunk_knows_its_duration():
    chunk = AudioChunk(bytes(3200))
    assert chunk.samples == 1600
    assert chunk.seconds == pytest.approx(0.1)
    stereo = AudioChunk(bytes(3200), AudioFormat(16000, 2, 2))
    assert stereo.samples == 800
    with pytest.raises(AudioFormatError, match="mono"):
        stereo.to_array()


@pytest.mark.parametrize("from_rate,to_rate", [(8000, 16000), (22050, 16000), (44100, 16000),
                                               (48000, 16000), (16000, 48000), (16000, 22050)])
def test_resampling_keeps_pitch_and_duration(from_rate, to_rate):
    out = resample(tone(440, from_rate), from_rate, to_rate)
    assert len(out) == pytest.approx(to_rate, abs=1)
    assert dominant_frequency(out, to_rate) == pytest.approx(440, abs=2)


def snr_db(signal: np.ndarray, ideal: np.ndarray, edge: int = 800) -> float:
    """How far `signal` is from `ideal`, in dB, away from both ends (where any filter starts and stops)."""
    n = min(len(signal), len(ideal))
    signal, ideal = signal[edge : n - edge].astype(np.float64), ideal[edge : n - edge].astype(np.float64)
    return 10 * np.log10(np.sum(ideal**2) / np.sum((signal - ideal) ** 2))


@pytest.mark.parametrize("from_rate", [48000, 44100])
def test_a_live_stream_resampled_block_by_block_is_as_clean_as_the_whole_signal(from_rate):
    signal = (tone(440, from_rate) * 32767).astype(np.int16)
    ideal = (tone(440, 16000) * 32767).astype(np.int16)
    stream = StreamResampler(16000)
    block = from_rate // 50  # 20 ms, as a microphone delivers it
    blockwise = np.concatenate([stream(signal[i : i + block], from_rate) for i in range(0, len(signal), block)])
    assert snr_db(blockwise, ideal) > snr_db(resample(signal, from_rate, 16000), ideal) - 1
    assert snr_db(blockwise, ideal) > 50


def test_downsampling_filters_what_cannot_be_represented():
    # 7 kHz is above the 4 kHz Nyquist limit of 8 kHz audio: it must not fold back in as a loud tone.
    out = resample(tone(7000, 48000), 48000, 8000)
    assert np.sqrt(np.mean(out**2)) < 0.05


def test_resampling_int16_stays_int16():
    samples = (tone(300, 22050) * 32767).astype(np.int16)
    chunk = resample_chunk(AudioChunk.from_array(samples, 22050), 16000)
    assert chunk.format == AudioFormat(16000, 2, 1)
    assert chunk.to_array().dtype == np.int16


def test_unsupported_rate_is_refused():
    with pytest.raises(AudioFormatError, match="unsupported sample rate 11111"):
        resample(tone(440, 16000), 11111, 16000)


def _write_raw(path, rate, width, channels, frames: bytes):
    with wave.open(str(path), "wb") as wav:
        wav.setframerate(rate)
        wav.setsampwidth(width)
        wav.setnchannels(channels)
        wav.writeframes(frames)


def test_wav_round_trip_and_resampling(tmp_path):
    samples = (tone(440, 44100) * 32767).astype(np.int16)
    path = write_wav(tmp_path / "a.wav", AudioChunk.from_array(samples, 44100))
    assert read_wav(path).format == AudioFormat(44100, 2, 1)
    chunk = read_mono16(path, 16000)
    assert chunk.format.rate == 16000
    assert chunk.seconds == pytest.approx(1.0, abs=0.01)


def test_bad_wav_files_get_clear_errors(tmp_path):
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio")
    with pytest.raises(AudioFormatError, match="not a readable WAV"):
        read_wav(text)
    with pytest.raises(AudioFormatError, match="no such file"):
        read_wav(tmp_path / "absent.wav")
    empty = tmp_path / "empty.wav"
    _write_raw(empty, 16000, 2, 1, b"")
    with pytest.raises(AudioFormatError, match="holds no audio"):
        read_wav(empty)
    stereo = tmp_path / "stereo.wav"
    _write_raw(stereo, 16000, 2, 2, bytes(6400))
    with pytest.raises(AudioFormatError, match="stereo.wav: expected mono audio, got 2 channels"):
        read_mono16(stereo, 16000)
    eight_bit = tmp_path / "8bit.wav"
    _write_raw(eight_bit, 16000, 1, 1, bytes(1600))
    with pytest.raises(AudioFormatError, match="expected 16-bit samples, got 8-bit"):
        read_mono16(eight_bit, 16000)


def test_wav_source_paces_a_recording_like_live_audio():
    import asyncio
    import time as clock

    from parley.voice.streams import WavSource

    recording = AudioChunk(bytes(2 * 8000))  # 0.5 s at 16 kHz

    async def collect(realtime: bool):
        started = clock.monotonic()
        chunks = [chunk async for chunk in WavSource(recording, chunk_ms=20, realtime=realtime).chunks()]
        return chunks, clock.monotonic() - started

    paced, paced_seconds = asyncio.run(collect(True))
    assert len(paced) == 25 and all(c.samples == 320 for c in paced)
    assert b"".join(c.audio for c in paced) == recording.audio
    assert paced_seconds >= 0.45  # never faster than real time: a lower bound only
    fast, _ = asyncio.run(collect(False))
    assert [c.audio for c in fast] == [c.audio for c in paced]


def test_a_long_pause_inside_a_turn_is_squeezed_and_the_edges_are_kept():
    from parley.voice.audio import KEPT_PAUSE_MS, squeeze_pauses

    rate = 16000
    voiced = (np.sin(np.arange(rate // 2) * 0.1) * 8000).astype(np.int16)
    quiet = lambda seconds: np.zeros(int(seconds * rate), np.int16)  # noqa: E731
    turn = np.concatenate([quiet(0.5), voiced, quiet(1.1), voiced, quiet(0.2), voiced, quiet(0.5)])
    squeezed = squeeze_pauses(AudioChunk(turn.tobytes())).to_array()
    assert len(turn) - len(squeezed) == int((1.1 - KEPT_PAUSE_MS / 1000) * rate)  # only the long inner pause
    assert np.array_equal(squeezed[: rate], turn[: rate]) and np.array_equal(squeezed[-rate:], turn[-rate:])
