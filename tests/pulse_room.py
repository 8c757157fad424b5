"""A virtual room on a real PulseAudio server: Parley's speaker, a microphone, and the echo between them.

    caller (paplay) ──► room ◄── loopback (delay, attenuation) ◄── speaker.monitor ◄── Parley's output
                          │
                          └──► microphone (remap of room.monitor) ──► Parley's input

sounddevice reaches it through ALSA's pulse plugin; PULSE_SINK and PULSE_SOURCE pick the devices.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field

ECHO_DELAY_MS = 60  # sound's way from speaker to microphone, plus the audio server's buffering
ECHO_VOLUME = "50%"  # PulseAudio's cubic volume: 50% is about -18 dB, a speaker an arm's length away


def ensure_pulseaudio() -> None:
    """A PulseAudio server for this user, started if none answers."""
    assert shutil.which("pulseaudio") and shutil.which("pactl"), \
        "the talk tests need PulseAudio (apt-get install pulseaudio pulseaudio-utils libasound2-plugins libportaudio2)"
    if subprocess.run(["pactl", "info"], capture_output=True).returncode == 0:
        return
    subprocess.run(["pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "--log-target=stderr"],
                   capture_output=True, check=True)
    for _ in range(50):
        if subprocess.run(["pactl", "info"], capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError("PulseAudio did not start")


def pactl(*args: str) -> str:
    return subprocess.run(["pactl", *args], capture_output=True, text=True, check=True).stdout.strip()


@dataclass
class Room:
    speaker: str
    room: str
    microphone: str
    modules: list[str] = field(default_factory=list)

    @property
    def env(self) -> dict:
        """The environment that puts a process's default output on the speaker and input on the microphone."""
        return {**os.environ, "PULSE_SINK": self.speaker, "PULSE_SOURCE": self.microphone}

    def play(self, wav: str) -> subprocess.Popen:
        """A caller speaking in the room."""
        return subprocess.Popen(["paplay", f"--device={self.room}", wav])

    def record_speaker(self, wav: str) -> subprocess.Popen:
        return subprocess.Popen(["parecord", f"--device={self.speaker}.monitor", "--rate=16000", "--channels=1",
                                 "--file-format=wav", wav])

    def close(self) -> None:
        for module in reversed(self.modules):
            subprocess.run(["pactl", "unload-module", module], capture_output=True)


def build_room(name: str) -> Room:
    ensure_pulseaudio()
    room = Room(f"{name}_speaker", f"{name}_room", f"{name}_mic")
    room.modules.append(pactl("load-module", "module-null-sink", f"sink_name={room.speaker}"))
    room.modules.append(pactl("load-module", "module-null-sink", f"sink_name={room.room}"))
    room.modules.append(pactl("load-module", "module-remap-source", f"source_name={room.microphone}",
                              f"master={room.room}.monitor"))
    echo = pactl("load-module", "module-loopback", f"source={room.speaker}.monitor", f"sink={room.room}",
                 f"latency_msec={ECHO_DELAY_MS}")
    room.modules.append(echo)
    # The short listing's second column is the sink, not the owner: find the loopback's input by its module.
    [echo_input] = [item["index"] for item in json.loads(pactl("--format=json", "list", "sink-inputs"))
                    if str(item["owner_module"]) == echo]
    pactl("set-sink-input-volume", str(echo_input), ECHO_VOLUME)
    return room
