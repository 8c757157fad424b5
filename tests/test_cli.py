"""The CLI end to end, as a user runs it: real models, real-time audio, files on disk."""

import json
import re
import subprocess
import sys

import numpy as np

from voice.audio import AudioChunk, AudioFormat
from voice.wav import read_wav, write_wav


def parley(*args: str, cwd=None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "voice.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=cwd)


def test_demo_runs_a_short_conversation_and_writes_both_sides(tmp_path):
    out = tmp_path / "demo.wav"
    result = parley("demo", "--turns", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "caller (as Parley heard it): Hello, I would like to book a table" in result.stdout
    assert "parley: Hello, this is Parley." in result.stdout
    assert "endpoint" in result.stdout and "total" in result.stdout
    audio = read_wav(out)
    assert audio.format.channels == 2
    frames = np.frombuffer(audio.audio, dtype=np.int16).reshape(-1, 2)
    caller, agent = np.abs(frames[:, 0]).astype(int), np.abs(frames[:, 1]).astype(int)
    assert caller.max() > 3000 and agent.max() > 3000
    # Parley answers after the caller has spoken, not over them.
    assert np.flatnonzero(agent > 3000)[0] > np.flatnonzero(caller > 3000)[-1]


def test_bench_on_recordings_reports_latency_and_word_error_rate(tmp_path, speak):
    from voice.audio import resample

    texts = {"booking": "I would like a table for two on Friday.", "hours": "When do you open on Sunday?"}
    for (name, text), rate in zip(texts.items(), (44100, 8000)):
        audio = resample(speak(text), 16000, rate)
        write_wav(tmp_path / f"{name}.wav", AudioChunk.from_array(audio, rate))
        (tmp_path / f"{name}.txt").write_text(text)
    result = parley("bench", "--audio", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["utterances"] == 2 and report["turns"] == 2 and report["baseline_turns"] == 2
    for key in ("turn_latency_ms", "baseline_turn_latency_ms"):
        assert report[key]["p50"] > 0 and report[key]["p95"] >= report[key]["p50"]
    stages = report["stages_ms"]
    assert set(stages) == {"endpoint_wait", "stt", "dialogue", "tts_first_audio"}
    assert report["wer"] < 0.2 and report["stt_rtf"]["p50"] > 0
    assert report["speedup_vs_baseline"] > 0


def test_bench_refuses_unusable_recordings_clearly(tmp_path):
    write_wav(tmp_path / "stereo.wav", AudioChunk(bytes(6400), AudioFormat(16000, 2, 2)))
    result = parley("bench", "--audio", str(tmp_path))
    assert result.returncode == 2
    assert "stereo.wav: expected mono audio, got 2 channels" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_errors_exit_cleanly(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[vad]\nend_silnce_ms = 300\n")
    result = parley("--config", str(bad), "demo")
    assert result.returncode == 2
    assert "unknown key 'vad.end_silnce_ms'" in result.stderr


def test_chat_books_by_typed_lines_and_a_second_process_finds_the_booking(tmp_path):
    db = str(tmp_path / "parley.db")
    book = "A table for two next Friday at 7 pm\nMy name is Sam Lee\n555 2468\nyes\nno thanks\n"
    first = subprocess.run([sys.executable, "-m", "voice.cli", "--db", db, "chat"], input=book,
                           capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    replies = first.stdout.splitlines()
    assert all(line.startswith("parley: ") for line in replies)
    assert len(replies) == 6  # the greeting, then one reply per caller line
    assert re.search("booked for (Friday|tomorrow)", replies[4])  # "tomorrow" when run on a Thursday
    check = subprocess.run([sys.executable, "-m", "voice.cli", "--db", db, "chat"],
                           input="Do I have a booking? My number is 555 2468.\n",
                           capture_output=True, text=True, timeout=60)
    assert re.search("Yes, I have a table for 2 people (Friday|tomorrow)", check.stdout)
    assert "under Sam Lee" in check.stdout
