"""Real people's recordings that Debian ships (../shared/FACTS.md), fetched at test time, never committed.

`debian_files(PACKAGE)` downloads the package (no install: `apt-get download`), unpacks it into a
cache of its own, and returns the folder; `python -m tests.real_speech` prints how the letters of
klettres-data read through Parley's speech-to-text, alone and as the spelling of a name.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "parley" / "debian"
LETTERS = "abcdefghijklmnopqrstuvwxyz"
GAP_S = 0.35  # between letters spliced into one spelled name: a caller's pace


def debian_files(package: str) -> Path:
    """The unpacked files of a Debian package, downloaded once; an error that says why when it cannot be."""
    folder = CACHE / package
    if (folder / "usr").is_dir():
        return folder
    with tempfile.TemporaryDirectory() as scratch:
        got = subprocess.run(["apt-get", "download", package], cwd=scratch, capture_output=True, text=True)
        debs = list(Path(scratch).glob(f"{package}_*.deb"))
        if got.returncode or not debs:
            raise RuntimeError(f"apt-get download {package} failed: {got.stderr.strip()[-300:]}")
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(folder)], check=True)
    return folder


def letter_audio(letter: str, speaker: str = "en", rate: int = 16000) -> np.ndarray:
    """One letter said by a real person (klettres-data's `en` or `en_GB` set), int16 at `rate`."""
    from faster_whisper import decode_audio

    folder = debian_files("klettres-data") / "usr/share/klettres" / speaker / "alpha"
    path = next(folder / name for name in (f"{letter.upper()}.ogg", f"{letter}.ogg") if (folder / name).exists())
    return (decode_audio(str(path), sampling_rate=rate) * 32767).astype(np.int16)


def spelled_audio(name: str, speaker: str = "en", rate: int = 16000) -> np.ndarray:
    """A name spelled by splicing the real letters, with a caller's gap between them."""
    gap = np.zeros(int(GAP_S * rate), dtype=np.int16)
    pieces = [part for letter in name.lower() if letter.isalpha() for part in (letter_audio(letter, speaker, rate), gap)]
    return np.concatenate([gap, *pieces])


if __name__ == "__main__":
    from parley.dialogue.domain import load_domain
    from parley.dialogue.nlu import spelled_letter
    from parley.dialogue.turn_end import Expect, Listening
    from parley.voice.app.settings import load_config
    from parley.voice.app.wiring import load_stt
    from parley.voice.audio import AudioChunk

    stt = load_stt(load_config(), load_domain())
    for speaker in ("en", "en_GB"):
        heard = {c: stt.transcribe(AudioChunk.from_array(letter_audio(c, speaker), 16000), Listening(Expect.NAME)) for c in LETTERS}
        raw = sum(text.strip(" .?!,").lower() == c for c, text in heard.items())
        mapped = sum(spelled_letter(text) == c for c, text in heard.items())
        print(f"{speaker}: letters alone {raw}/26 as written, {mapped}/26 read as letters; "
              f"missed: {', '.join(f'{c}={heard[c]!r}' for c in LETTERS if spelled_letter(heard[c]) != c)}")
