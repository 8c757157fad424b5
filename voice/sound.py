"""The local microphone and speaker through sounddevice: device choice, rate and channel conversion."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncGenerator, Callable
from typing import Any

import numpy as np

from parley.voice.audio import SUPPORTED_RATES, AudioChunk, AudioFormat, StreamResampler
from parley.voice.echo import EchoFilter, PlayedAudio
from parley.voice.queues import DropOldestQueue, QueueClosed

SILENT_DEVICE_SECONDS = 2.0  # an input that delivers nothing this long has gone away


class DeviceError(RuntimeError):
    """No usable audio device, or one that went away; the message lists the devices there are."""


def sounddevice() -> Any:
    """The sounddevice module; PortAudio missing is a clear error, not an import trace."""
    try:
        import sounddevice
    except OSError as error:  # the PortAudio library itself is missing
        raise DeviceError(f"PortAudio is not installed ({error}); on Debian: apt-get install libportaudio2") from None
    return sounddevice


def device_list() -> str:
    sd = sounddevice()
    devices = sd.query_devices()
    if not devices:
        return "no audio devices found (is a sound card or an audio server such as PulseAudio there?)"
    default_in, default_out = sd.default.device
    rows = []
    for device in devices:
        marks = ("<" if device["index"] == default_in else " ") + (">" if device["index"] == default_out else " ")
        rows.append(f"{marks} {device['index']:>3} {device['name']}  ({device['max_input_channels']} in, "
                    f"{device['max_output_channels']} out, {device['default_samplerate']:.0f} Hz)")
    return "\n".join(rows + ["< default input, > default output"])


def find_device(wanted: str, kind: str) -> dict:
    """The input or output device named (or numbered) `wanted`, or the default; else DeviceError."""
    sd = sounddevice()
    channels = "max_input_channels" if kind == "input" else "max_output_channels"
    try:
        device = sd.query_devices(int(wanted) if wanted.isdigit() else (wanted or None), kind)
    except (ValueError, sd.PortAudioError) as error:
        raise DeviceError(f"no {kind} device {wanted or '(default)'}: {error}\n{device_list()}") from None
    if device[channels] < 1:
        raise DeviceError(f"{device['name']} has no {kind} channels\n{device_list()}")
    return device


class SoundDeviceSource:
    """The microphone at its own rate and channels, as mono chunks at the pipeline's rate. The audio
    callback only copies the block and hands it to the event loop; all work happens there."""

    def __init__(self, device: dict, rate: int, block_ms: int, max_chunks: int, echo: EchoFilter | None = None):
        self.device = device
        self.rate = rate
        self.device_rate = device_rate(device, "input")
        self.channels = 1 if _mono_ok(device, "input", self.device_rate) else device["max_input_channels"]
        self.block = self.device_rate * block_ms // 1000
        self.max_chunks = max_chunks
        self.echo = echo
        self.dropped = 0
        self._resampler = StreamResampler(rate)

    async def chunks(self) -> AsyncGenerator[AudioChunk, None]:
        sd, loop = sounddevice(), asyncio.get_running_loop()
        queue = DropOldestQueue(self.max_chunks)

        def callback(indata: np.ndarray, frames: int, times: Any, status: Any) -> None:
            captured_at = time.monotonic() - _behind(times.currentTime, times.inputBufferAdcTime) - frames / self.device_rate
            try:
                loop.call_soon_threadsafe(self._arrived, queue, bytes(indata), captured_at)
            except RuntimeError:  # the loop is closing
                pass

        with _opened(sd.InputStream, self.device, samplerate=self.device_rate, blocksize=self.block,
                     channels=self.channels, dtype="int16", callback=callback,
                     latency="low"):
            while True:
                try:
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that
                    # lands as a block arrives, and a Ctrl-C would never end the call.
                    async with asyncio.timeout(SILENT_DEVICE_SECONDS):
                        pcm, captured_at = await queue.get()
                except TimeoutError:
                    raise DeviceError(f"the microphone ({self.device['name']}) stopped delivering audio: "
                                      f"unplugged or taken away?") from None
                except QueueClosed:
                    return
                converted = self._convert(pcm, captured_at)
                if converted is not None:
                    samples, echo = converted
                    yield AudioChunk(samples.tobytes(), AudioFormat(self.rate), echo)

    def _arrived(self, queue: DropOldestQueue, pcm: bytes, captured_at: float) -> None:
        self.dropped += queue.put(pcm, captured_at)

    def _convert(self, pcm: bytes, captured_at: float) -> tuple[np.ndarray, bool] | None:
        """The block at the pipeline's rate, through the echo filter; None while the resampler holds all of it."""
        near = downmix(np.frombuffer(pcm, dtype=np.int16), self.channels)
        samples = self._resampler(near, self.device_rate)
        if not len(samples):
            return None
        # What comes out began before this block did: the resampler held the start of it back.
        starts = captured_at + len(near) / self.device_rate - self._resampler.held_seconds - len(samples) / self.rate
        return self.echo.process(samples, starts, self.rate) if self.echo else (samples, False)


class SoundDeviceSpeaker:
    """An AudioSink on a real output device. The callback takes what is queued (under a lock held for
    a slice, never for work), pads with silence, and notes what it played and when: that playback
    cursor is what the user heard, and what the echo filters subtract."""

    def __init__(self, device: dict, block_ms: int, ahead_seconds: float, played: PlayedAudio):
        self.device = device
        self.rate = device_rate(device, "output")
        self.channels = 1 if _mono_ok(device, "output", self.rate) else device["max_output_channels"]
        self.block = self.rate * block_ms // 1000
        self.ahead_seconds = ahead_seconds
        self.played = played
        self.handed_seconds = 0.0
        self._queued = np.zeros(0, dtype=np.int16)
        self._lock = threading.Lock()
        self._heard_until = 0.0  # time.monotonic() when the last real sample given to the device plays
        self._resampler = StreamResampler(self.rate)  # a reply's last few ms wait in it: the sentence's trailing silence
        self._stream: Any = None  # a sounddevice.OutputStream once entered
        self._gain = 1.0  # read by the callback: a float is swapped whole, no lock needed

    def __enter__(self) -> SoundDeviceSpeaker:
        self._stream = _opened(sounddevice().OutputStream, self.device, samplerate=self.rate, blocksize=self.block,
                               channels=self.channels, dtype="int16",
                               callback=self._callback, latency="low")
        self._stream.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.close(ignore_errors=True)

    async def play(self, chunk: AudioChunk) -> None:
        samples = self._resampler(chunk.to_array(), chunk.format.rate)
        with self._lock:
            self._queued = np.concatenate([self._queued, samples])
            queued = len(self._queued) / self.rate
        self.handed_seconds += chunk.seconds
        await asyncio.sleep(max(0.0, queued - self.ahead_seconds))

    def flush(self) -> float:
        with self._lock:
            dropped, self._queued = len(self._queued), np.zeros(0, dtype=np.int16)
        self._resampler.reset()
        return dropped / self.rate

    def busy(self) -> bool:
        with self._lock:
            queued = len(self._queued)
        return queued > 0 or time.monotonic() < self._heard_until

    def duck(self, gain: float) -> None:
        self._gain = gain

    def _callback(self, outdata: np.ndarray, frames: int, times: Any, status: Any) -> None:
        with self._lock:
            block, self._queued = self._queued[:frames], self._queued[frames:]
        if self._gain != 1.0:  # what is played is what the echo filter hears: the ducked samples
            block = (block * self._gain).astype(np.int16)
        outdata[len(block):] = 0
        outdata[: len(block)] = block[:, None]
        if len(block):
            starts = time.monotonic() + _behind(times.outputBufferDacTime, times.currentTime)
            self.played.add(block, starts)
            self._heard_until = starts + len(block) / self.rate


def _opened(stream_class: Callable[..., Any], info: dict, **settings: Any) -> Any:
    try:
        return stream_class(device=info["index"], **settings)
    except sounddevice().PortAudioError as error:
        raise DeviceError(f"cannot open {info['name']}: {error}\n{device_list()}") from None


def _behind(later: float, earlier: float) -> float:
    """A PortAudio time difference, 0 where the host API does not report times."""
    difference = later - earlier
    return difference if 0 < difference < 1 else 0.0


def downmix(samples: np.ndarray, channels: int) -> np.ndarray:
    """Interleaved samples of `channels` channels as mono: their mean (a stereo-only microphone)."""
    if channels == 1:
        return samples
    return samples.reshape(-1, channels).mean(axis=1).astype(np.int16)


def device_rate(device: dict, kind: str) -> int:
    """The device's own rate where Parley can convert it, else the first common rate it takes."""
    rate = int(device["default_samplerate"])
    if rate in SUPPORTED_RATES:
        return rate
    channels = device["max_input_channels" if kind == "input" else "max_output_channels"]
    for candidate in (48000, 44100, 32000, 16000):
        if _settings_ok(device, kind, channels, candidate):
            return candidate
    raise DeviceError(f"{device['name']} runs at {rate} Hz and takes none of 48000, 44100, 32000, 16000 Hz")


def _mono_ok(device: dict, kind: str, rate: int) -> bool:
    return _settings_ok(device, kind, 1, rate)


def _settings_ok(device: dict, kind: str, channels: int, rate: int) -> bool:
    sd = sounddevice()
    check = sd.check_input_settings if kind == "input" else sd.check_output_settings
    try:
        check(device=device["index"], channels=channels, dtype="int16", samplerate=rate)
    except sd.PortAudioError:
        return False
    return True
