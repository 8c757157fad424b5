"""`parley talk` on a real audio server: a virtual room on PulseAudio, with Parley's own echo in it."""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from parley.voice.audio import AudioChunk
from parley.voice.echo import EchoGate, PlayedAudio
from parley.voice.sound import downmix
from parley.voice.wav import read_mono16, write_wav

from .pulse_room import build_room, ensure_pulseaudio


@pytest.fixture(scope="module")
def room():
    room = build_room(f"parley{os.getpid()}")
    yield room
    room.close()


@pytest.fixture(scope="module")
def lines(speak, tmp_path_factory):
    """The caller's lines as WAV files, spoken a little slower than Parley."""
    folder = tmp_path_factory.mktemp("caller")
    texts = {"sunday": "What time do you open on Sunday?", "hours": "What are your opening hours?",
             "address": "What is your address?"}
    return {key: str(write_wav(folder / f"{key}.wav", AudioChunk.from_array(speak(text, 1.1), 16000)))
            for key, text in texts.items()}


class Talk:
    """`parley talk` running in the room, its output collected line by line."""

    def __init__(self, room, db, *options):
        self.process = subprocess.Popen([sys.executable, "-m", "parley.voice.app.cli", "--db", str(db), "talk", *options],
                                        env={**room.env, "PYTHONFAULTHANDLER": "1"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, after: int = 0, timeout: float = 30.0) -> int:
        """The index of the first line from `after` on that matches `pattern`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for index in range(after, len(self.lines)):
                if re.search(pattern, self.lines[index]):
                    return index
            if self.process.poll() is not None and not any(re.search(pattern, x) for x in self.lines[after:]):
                break
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern!r} after line {after}:\n" + "\n".join(self.lines))

    def greeted(self) -> int:
        return self.wait_for(r"^\[listening\]", self.wait_for(r"^parley: How can I help you\?"))

    def stop(self) -> int:
        """Ctrl-C, as a user ends a call."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack
            self.process.wait(timeout=10)
            time.sleep(0.5)
            raise AssertionError("parley talk did not end on Ctrl-C:\n" + "\n".join(self.lines)) from None

    def count(self, pattern: str) -> int:
        return sum(1 for line in self.lines if re.search(pattern, line))


def turns(db) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute("select role, text, heard, interrupted from turns order by id").fetchall()


@pytest.mark.parametrize("echo", ["webrtc", "gate"])
def test_a_caller_is_heard_answered_and_can_cut_in_while_parley_never_answers_itself(room, lines, tmp_path, echo):
    db = tmp_path / "parley.db"
    recording = tmp_path / "speaker.wav"
    recorder = room.record_speaker(str(recording))
    talk = Talk(room, db, "--echo", echo)
    try:
        after = talk.greeted()
        room.play(lines["sunday"]).wait()
        after = talk.wait_for(r"^\[listening\]", talk.wait_for(r"turn latency", after))
        room.play(lines["hours"]).wait()
        after = talk.wait_for(r"turn latency", after)
        time.sleep(1.0)  # a second into the answer about the hours, the caller talks over it
        room.play(lines["address"]).wait()
        talk.wait_for(r"turn latency", talk.wait_for(r"^you: .*address", after))
        talk.wait_for(r"^\[listening\]", talk.wait_for(r"^\[speaking\]", after + 1))
    finally:
        status = talk.stop()
        recorder.terminate()
        recorder.wait(timeout=10)
    output = "\n".join(talk.lines)
    assert status == 0 and "memory saved" in output, output
    heard = [line for line in talk.lines if line.startswith("you: ")]
    assert len(heard) == 3, output  # Parley's own voice, coming back through the room, was never a turn
    assert "sunday" in heard[0].lower() and "opening" in heard[1].lower() and "address" in heard[2].lower()
    assert talk.count(r"you cut in") == 1, output
    roles = [(role, interrupted) for role, _text, _heard, interrupted in turns(db)]
    assert roles == [("agent", 0), ("user", 0), ("agent", 0), ("user", 0), ("agent", 1), ("user", 0), ("agent", 0)]
    # The speaker's recording holds the greeting and every answer; the cut answer stops early.
    speaker = read_mono16(recording, 16000).to_array().astype(np.float32)
    voiced_seconds = np.sum(np.abs(speaker) > 500) / 16000
    assert voiced_seconds > 4, voiced_seconds


def test_without_echo_handling_the_room_makes_parley_answer_itself(room, tmp_path):
    """The control: the same room with the echo filter off. Parley hears its greeting as a caller."""
    talk = Talk(room, tmp_path / "parley.db", "--echo", "off")
    try:
        talk.wait_for(r"you cut in|^you: ", timeout=30)
    finally:
        talk.stop()


def test_an_audio_server_that_goes_away_ends_the_call_cleanly_with_memory_intact(room, tmp_path):
    db = tmp_path / "parley.db"
    talk = Talk(room, db)
    try:
        talk.greeted()
        subprocess.run(["pulseaudio", "--kill"], check=True)
        status = talk.process.wait(timeout=30)
    finally:
        if talk.process.poll() is None:
            talk.stop()
        ensure_pulseaudio()
    output = "\n".join(talk.lines)
    assert status == 1 and "stopped delivering audio" in output, output
    assert [role for role, *_ in turns(db)] == ["agent"]
    with sqlite3.connect(db) as connection:
        assert connection.execute("select count(*) from sessions where ended is not null").fetchone() == (1,)


def test_no_such_device_lists_the_devices_there_are(room, tmp_path):
    result = subprocess.run([sys.executable, "-m", "parley.voice.app.cli", "--db", str(tmp_path / "p.db"), "talk",
                             "--input-device", "no such microphone"], env=room.env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert "no input device no such microphone" in result.stderr and "default input" in result.stderr
    listed = subprocess.run([sys.executable, "-m", "parley.voice.app.cli", "devices"], env=room.env, capture_output=True,
                            text=True, timeout=60)
    assert "default" in listed.stdout


def test_the_echo_gate_marks_what_parley_s_own_voice_explains_and_passes_a_louder_caller():
    played = PlayedAudio(16000)
    rng = np.random.default_rng(3)
    for block in range(50):  # a second of Parley speaking, at about -16 dBFS
        played.add((rng.normal(0, 5000, 320)).astype(np.int16), starts=block * 0.02)
    gate = EchoGate(played, margin_db=6.0)
    echo = [(rng.normal(0, 500, 320)).astype(np.int16) for _ in range(40)]  # the room returns it 20 dB down
    explained = [gate.explains(block, captured_at=0.1 + i * 0.02, rate=16000) for i, block in enumerate(echo)]
    caller = (rng.normal(0, 4000, 320)).astype(np.int16)
    assert all(explained)
    assert not gate.explains(caller, captured_at=0.9, rate=16000)
    quiet_line = (rng.normal(0, 50, 320)).astype(np.int16)
    assert not gate.explains(quiet_line, captured_at=5.0, rate=16000)  # Parley silent: nothing is echo


def test_a_stereo_only_microphone_is_heard_as_the_mean_of_its_channels():
    left, right = np.array([100, 300, -200], dtype=np.int16), np.array([300, 100, 0], dtype=np.int16)
    interleaved = np.stack([left, right], axis=1).reshape(-1)
    assert downmix(interleaved, 2).tolist() == [200, 200, -100]
    assert downmix(left, 1) is left
