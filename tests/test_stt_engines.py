"""The speech-to-text engines beside the default: Moonshine base-en and Whisper base, as configured."""

import dataclasses

import pytest

from parley.dialogue.domain import load_domain
from parley.voice.app.measure.scores import word_error_rate
from parley.voice.app.wiring import load_stt
from parley.voice.audio import AudioChunk
from parley.voice.moonshine import SPACE, decode_text, read_tokenizer

LINES = ["I would like to book a table for four people.", "My name is Ana Lopez.",
         "Please cancel my reservation for Saturday."]


def test_moonshine_tokens_with_one_and_two_byte_lengths_are_read(tmp_path):
    long_piece = ("x" * 130).encode()
    (tmp_path / "tokenizer.bin").write_bytes(b"\x03<s>\x00\x01a" + bytes([130 % 128 + 128, 1]) + long_piece)
    assert read_tokenizer(tmp_path / "tokenizer.bin") == [b"<s>", b"", b"a", long_piece]


def test_moonshine_word_boundaries_become_spaces():
    pieces = [SPACE.encode() + b"Table", b"s", SPACE.encode() + b"for", SPACE.encode() + b"4"]
    assert decode_text(pieces, [0, 1, 2, 3]) == "Tables for 4"


@pytest.mark.parametrize("engine, model", [("moonshine", ""), ("whisper", "base")])
def test_each_engine_hears_the_bench_sentences(config, speak, engine, model):
    stt_config = dataclasses.replace(config.stt, engine=engine, model=model)
    stt = load_stt(dataclasses.replace(config, stt=stt_config), load_domain(None))
    pairs = [(text, stt.transcribe(AudioChunk(speak(text).tobytes()))) for text in LINES]
    assert word_error_rate(pairs) < 0.15, pairs
    assert stt.transcribe(AudioChunk(bytes(800))) == ""  # 25 ms: too short to hold a word


def test_moonshine_decodes_from_an_onnx_copy_made_once(config):
    """Its ORT-format decoder dequantizes every weight on every token; the ONNX copy is folded at load."""
    from parley.voice.models import moonshine_model_dir
    from parley.voice.moonshine import CACHE, as_onnx

    stt_config = dataclasses.replace(config.stt, engine="moonshine")
    load_stt(dataclasses.replace(config, stt=stt_config), load_domain(None))
    copy = CACHE / "decoder_model_merged.onnx"
    made = copy.stat().st_mtime_ns
    assert as_onnx(moonshine_model_dir("") / "decoder_model_merged.ort", copy) == copy
    assert copy.stat().st_mtime_ns == made and not copy.with_suffix(".saving").exists()
