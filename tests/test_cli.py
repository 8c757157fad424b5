"""The CLI end to end, as a user runs it: real models, real-time audio, files on disk."""

import json
import re
import subprocess
import sys
from datetime import time

import numpy as np

from parley.dialogue.domain import load_domain
from parley.memory.db import open_db
from parley.memory.reservations import ReservationStore
from parley.voice.audio import AudioChunk, AudioFormat
from parley.voice.wav import read_wav, write_wav


def parley(*args: str, cwd=None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "parley.voice.app.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=cwd)


def test_demo_books_a_real_table_by_voice_and_writes_both_sides(tmp_path):
    out, db = tmp_path / "demo.wav", tmp_path / "parley.db"
    result = parley("demo", "--out", str(out), "--db", str(db))
    assert result.returncode == 0, result.stderr
    said = result.stdout
    assert "parley: Hello, you've reached Trattoria Sole." in said, said
    assert "caller (as Parley heard it): My name is Sam Lee" in said, said
    assert "booked for Friday" in said, said
    assert "endpoint" in said and "total" in said, said
    today = load_domain().now().date()  # the demo's calendar (PARLEY_NOW), not the server's
    [booking] = ReservationStore(open_db(db), 4).find(phone="5551234", today=today)
    assert (booking.party_size, booking.name, booking.at, booking.notes) == (4, "Sam Lee", time(19, 30), ("high chair",))
    assert booking.day.strftime("%A") == "Friday"
    # A second process, a new session on the same file: the caller is recognized and recalled.
    lines = "Hello, it's 555 1234.\nWhat did I book last time?\nSam Lee.\nWhat do you remember about me?\n"
    later = subprocess.run([sys.executable, "-m", "parley.voice.app.cli", "chat", "--db", str(db)], input=lines,
                           capture_output=True, text=True, timeout=120)
    replies = later.stdout.splitlines()
    assert replies[1].startswith("parley: Welcome back, Sam."), later.stdout
    assert "what name do you book under?" in replies[2], later.stdout  # a number said, then the name
    assert "Last time you booked a table for 4 people" in replies[3] and "high chair" in replies[3], later.stdout
    assert "usually book for 4" in replies[4] and "high chair" in replies[4], later.stdout
    audio = read_wav(out)
    assert audio.format.channels == 2
    frames = np.frombuffer(audio.audio, dtype=np.int16).reshape(-1, 2)
    caller, agent = np.abs(frames[:, 0]).astype(int), np.abs(frames[:, 1]).astype(int)
    assert caller.max() > 3000 and agent.max() > 3000
    # Parley greets before the caller speaks, and has the last word after the caller's goodbye.
    assert np.flatnonzero(agent > 3000)[0] < np.flatnonzero(caller > 3000)[0]
    assert np.flatnonzero(agent > 3000)[-1] > np.flatnonzero(caller > 3000)[-1]


def test_bench_on_recordings_reports_latency_and_word_error_rate(tmp_path, speak):
    from parley.voice.audio import resample

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
    assert set(stages) == {"endpoint_wait", "stt", "stt_compute", "dialogue", "tts_first_audio"}
    assert 0 <= report["false_endpoint_rate"] <= 1 and 0 <= report["baseline_false_endpoint_rate"] <= 1
    assert report["wer"] < 0.2 and report["stt_rtf"]["p50"] > 0
    assert report["speedup_vs_baseline"] > 0
    # Each line, what was said and what was heard (the files sort by name: booking, then hours).
    said = [line["said"] for line in report["lines"]]
    assert said == list(texts.values()) and "friday" in report["lines"][0]["heard"].lower()
    assert report["withdrawn"] >= 0 and len(report["baseline_lines"]) == 2


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
    first = subprocess.run([sys.executable, "-m", "parley.voice.app.cli", "--db", db, "chat"], input=book,
                           capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    replies = first.stdout.splitlines()
    assert all(line.startswith("parley: ") for line in replies)
    assert len(replies) == 6  # the greeting, then one reply per caller line
    assert re.search("booked for (Friday|tomorrow)", replies[4])  # "tomorrow" when run on a Thursday
    check = subprocess.run([sys.executable, "-m", "parley.voice.app.cli", "--db", db, "chat"],
                           input="Do I have a booking? My number is 555 2468.\nSam Lee.\n",
                           capture_output=True, text=True, timeout=60)
    assert "what name do you book under?" in check.stdout  # a number said: the name too, before it is told
    assert re.search("Yes, I have a table for 2 people (Friday|tomorrow)", check.stdout)
    assert "under Sam Lee" in check.stdout
