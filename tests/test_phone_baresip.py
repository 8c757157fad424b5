"""A real SIP call: Debian's baresip phone dials `parley phone` on loopback, its microphone a WAV of a
caller booking a table, its speaker recorded; then calls again from the same number."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from parley.voice.audio import AudioChunk, resample
from tests.test_phone import free_port, open_day, said

NUMBER = "5551234"
BOOKING = [(4.5, "I'd like a table for two on {day} at seven pm."), (6.0, "My name is John Smith."),
           (7.0, "Yes please."), (7.0, "No thank you, goodbye.")]
AGAIN = [(5.0, "No thank you, goodbye.")]
# A pause at the comma long enough to be answered, the time said over that answer's first words.
# "Yes please" after the whole read-back (about 10 s), not over it: this call is about the comma.
COMMA = [(4.5, "I'd like a table for two on {day},"), (1.1, "at eight pm, please."), (6.0, "My name is John Smith."),
         (12.0, "Yes please."), (7.0, "No thank you, goodbye.")]

pytestmark = pytest.mark.skipif(shutil.which("baresip") is None, reason="needs baresip (apt install baresip-core)")


def caller_wav(path: Path, lines: list[tuple[float, str]]) -> None:
    """The caller's side as one 8 kHz WAV: each line after its pause, then silence to hang up on."""
    parts = []
    for pause, text in lines:
        parts += [np.zeros(int(pause * 8000), np.int16), said(text.format(day=open_day()))]
    parts.append(np.zeros(8000 * 8, np.int16))  # baresip hangs up when the file ends: Parley should first
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(np.concatenate(parts).tobytes())


def phone_config(folder: Path, wav: Path, port: int) -> Path:
    """baresip's configuration: the WAV as microphone, a null speaker, every call recorded."""
    (folder / "recordings").mkdir(parents=True)
    (folder / "config").write_text(
        f"sip_listen 127.0.0.1:{port}\nnet_interface 127.0.0.1\naudio_source aufile,{wav}\n"
        "audio_player aubridge,sink\naudio_alert aubridge,alert\nmodule_path /usr/lib/baresip/modules\n"
        "module g711.so\nmodule aufile.so\nmodule aubridge.so\nmodule sndfile.so\nmodule_tmp account.so\n"
        f"module_app menu.so\nsnd_path {folder / 'recordings'}\n")
    (folder / "accounts").write_text(f"<sip:{NUMBER}@127.0.0.1:{port}>;regint=0;audio_codecs=pcmu\n")
    return folder


def call(folder: Path, parley_port: int) -> str:
    """Dial Parley and wait for the call to end; baresip's log."""
    done = subprocess.run(["baresip", "-f", str(folder), "-e", f"/dial sip:parley@127.0.0.1:{parley_port}", "-t", "90"],
                          capture_output=True, text=True, timeout=150)
    return done.stdout + done.stderr


def heard(engines, folder: Path) -> str:
    """What the phone's speaker played, transcribed reply by reply (cut where it fell quiet)."""
    [recording] = (folder / "recordings").glob("dump-*-dec.wav")
    with wave.open(str(recording)) as wav:
        audio = resample(np.frombuffer(wav.readframes(wav.getnframes()), np.int16), wav.getframerate(), 16000)
    return " ".join(engines.stt.transcribe(AudioChunk(reply.tobytes())) for reply in replies(audio, 16000))


def replies(audio: np.ndarray, rate: int, quiet_s: float = 0.7) -> list[np.ndarray]:
    """The loud stretches of `audio`, split at pauses of `quiet_s` or more."""
    frame = rate // 50
    loud = [np.abs(audio[i : i + frame]).max(initial=0) > 500 for i in range(0, len(audio), frame)]
    pieces, start, silent = [], None, 0
    for index, is_loud in enumerate([*loud, False]):
        if is_loud:
            start, silent = index if start is None else start, 0
        elif start is not None:
            silent += 1
            if silent * 0.02 >= quiet_s or index == len(loud):
                pieces.append(audio[start * frame : (index - silent + 1) * frame])
                start = None
    return pieces


@pytest.fixture
def parley_phone(tmp_path):
    port, db = free_port(), tmp_path / "phone.db"
    line = subprocess.Popen([sys.executable, "-m", "parley.voice.app.cli", "phone", "--db", str(db), "--listen",
                             f"127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert line.stdout is not None
    for text in line.stdout:
        if "answers SIP calls" in text:
            break
    yield port, db
    line.terminate()
    line.wait(30)


def test_a_caller_books_by_phone_and_is_greeted_by_name_when_calling_again(parley_phone, engines, tmp_path):
    port, db = parley_phone
    caller_wav(tmp_path / "booking.wav", BOOKING)
    first = call(phone_config(tmp_path / "first", tmp_path / "booking.wav", free_port()), port)
    assert "terminated" in first  # the call ended with a BYE (Parley's, after its goodbye)
    with sqlite3.connect(db) as connection:
        assert connection.execute("select party_size, name, phone from reservations").fetchall() == [
            (2, "John Smith", NUMBER)]  # the number came from caller ID: never asked for
    answered = heard(engines, tmp_path / "first").lower()
    assert "trattoria sole" in answered and "goodbye" in answered

    caller_wav(tmp_path / "again.wav", AGAIN)
    call(phone_config(tmp_path / "again", tmp_path / "again.wav", free_port()), port)
    with sqlite3.connect(db) as connection:
        greeting = connection.execute("select text from turns where role = 'agent' order by id desc limit 1 offset 1")
        assert greeting.fetchone()[0].startswith("Hello John")
    assert "john" in heard(engines, tmp_path / "again").lower()


def test_a_caller_who_pauses_at_a_comma_before_the_time_books_that_time(parley_phone, engines, tmp_path):
    """The time comes after a pause Parley may answer into ("And at what time?"): that answer is taken
    back and the whole turn answered, or the time is a turn of its own; either way it is the time booked."""
    port, db = parley_phone
    caller_wav(tmp_path / "comma.wav", COMMA)
    call(phone_config(tmp_path / "comma", tmp_path / "comma.wav", free_port()), port)
    with sqlite3.connect(db) as connection:
        turns = connection.execute("select role, text, heard from turns").fetchall()
        assert connection.execute("select party_size, at, name from reservations").fetchall() == [
            (2, "20:00", "John Smith")], turns
        said_by_caller = [text for (text,) in connection.execute("select text from turns where role = 'user'")]
    assert sum("eight" in text.lower() or "8" in text for text in said_by_caller) == 1, said_by_caller  # heard once
