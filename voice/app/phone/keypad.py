"""Keypad digits from a phone: RFC 4733 events or in-band tones, collected until hash."""

from __future__ import annotations

import numpy as np

ROWS = (697.0, 770.0, 852.0, 941.0)
COLUMNS = (1209.0, 1336.0, 1477.0, 1633.0)
KEYS = ("123A", "456B", "789C", "*0#D")
BLOCK_SECONDS = 0.025  # long enough to tell neighbouring tones apart (about 40 Hz apart at 8 kHz)
TONE_SHARE = 0.5  # of a block's energy, the row and column tones together: speech never has this much in two pure tones
TWIST = 8.0  # the louder of the two tones at most this many times the other (about 9 dB)


class Keypad:
    """Digits pressed, until hash ends the number; star starts it again."""

    def __init__(self) -> None:
        self.digits = ""

    def press(self, key: str) -> str | None:
        """The number typed, when `key` ends it; else None."""
        if key == "#":
            typed, self.digits = self.digits, ""
            return typed or None
        if key == "*":
            self.digits = ""
        elif key.isdigit():
            self.digits += key
        return None


class ToneDetector:
    """In-band DTMF in 16-bit audio, for phones that send tones instead of RFC 4733 events: a key
    counts once, when its two tones hold for two blocks in a row."""

    def __init__(self, rate: int):
        self.block = round(rate * BLOCK_SECONDS)
        times = np.arange(self.block) / rate
        tones = np.array([*ROWS, *COLUMNS])[:, None] * 2 * np.pi * times
        self._basis = np.exp(-1j * tones)  # one DFT bin per tone, at its exact frequency
        self._pending = np.zeros(0, dtype=np.float32)
        self._last: str | None = None  # the key heard in the block before
        self._counted = False  # that key's press is counted already

    def feed(self, pcm: bytes) -> list[str]:
        """The keys whose tones begin in `pcm`."""
        samples = np.concatenate([self._pending, np.frombuffer(pcm, dtype="<i2").astype(np.float32)])
        keys = []
        whole = len(samples) - len(samples) % self.block
        for start in range(0, whole, self.block):
            key = self._key(samples[start : start + self.block])
            if key != self._last:
                self._counted = False  # a new press (or a pause) begins
            elif key is not None and not self._counted:
                keys.append(key)
                self._counted = True
            self._last = key
        self._pending = samples[whole:]
        return keys

    def _key(self, block: np.ndarray) -> str | None:
        energy = float(np.dot(block, block)) * self.block / 2
        if energy <= 0:
            return None
        power = np.abs(self._basis @ block) ** 2
        row, column = int(np.argmax(power[:4])), int(np.argmax(power[4:]))
        low, high = power[row], power[4 + column]
        if (low + high) < TONE_SHARE * energy or max(low, high) > TWIST * min(low, high):
            return None
        return KEYS[row][column]
