import pytest

from parley.voice.config import SttConfig, TtsConfig
from parley.voice.models import ModelNotFoundError, piper_voice_file, whisper_model_dir
from parley.voice.stt import FasterWhisperSTT
from parley.voice.tts import PiperTTS


def test_bundled_models_resolve_from_their_packages():
    assert (whisper_model_dir("") / "model.bin").is_file()
    assert piper_voice_file("").suffix == ".onnx"


def test_a_configured_path_that_is_missing_is_named(tmp_path):
    stt = SttConfig(engine="whisper", model=str(tmp_path / "whisper"), compute_type="int8", cpu_threads=1, language="en", beam_size=1, prompt="")
    with pytest.raises(ModelNotFoundError, match=r"whisper/model.bin is missing \(from stt.model\)"):
        FasterWhisperSTT(stt)
    tts = TtsConfig(voice=str(tmp_path / "voice.onnx"), length_scale=1.0, sentence_silence_ms=0, threads=0)
    with pytest.raises(ModelNotFoundError, match=r"voice.onnx is missing \(from tts.voice\)"):
        PiperTTS(tts)
