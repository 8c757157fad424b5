"""Speech-to-text with Moonshine base-en: its ONNX encoder and decoder run by onnxruntime, greedily."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from parley.dialogue.turn_end import Listening
from parley.voice.audio import AudioChunk, AudioFormatError, int16_to_float
from parley.voice.config import SttConfig
from parley.voice.models import moonshine_model_dir

RATE = 16000
START, END = 1, 2  # the decoder's start-of-text and end-of-text tokens
TOKENS_PER_SECOND = 6.5  # Moonshine's own bound on tokens per second of speech: a loop-breaker
SPACE = "\u2581"  # SentencePiece's word boundary
CACHE = Path.home() / ".cache" / "parley" / "moonshine-base-en"


class MoonshineSTT:
    """Moonshine through onnxruntime directly: the `moonshine-cpp` binding shipped with the weights
    leaks memory and cannot set threads (`../shared/FACTS.md`), so only its model files are used."""

    def __init__(self, config: SttConfig):
        import onnxruntime

        folder = moonshine_model_dir(config.model)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = config.cpu_threads
        options.inter_op_num_threads = 1
        cpu = ["CPUExecutionProvider"]
        encoder = as_onnx(folder / "encoder_model.ort", CACHE / "encoder_model.onnx")
        decoder = as_onnx(folder / "decoder_model_merged.ort", CACHE / "decoder_model_merged.onnx")
        self.encoder = onnxruntime.InferenceSession(str(encoder), options, providers=cpu)
        self.decoder = onnxruntime.InferenceSession(str(decoder), options, providers=cpu)
        self.pieces = read_tokenizer(folder / "tokenizer.bin")
        self.cache_names = [i.name for i in self.decoder.get_inputs() if i.name.startswith("past_key_values")]
        self.output_names = [o.name for o in self.decoder.get_outputs()]
        self.transcribe(AudioChunk(np.zeros(RATE // 2, dtype=np.int16).tobytes()))  # warm-up

    def transcribe(self, audio: AudioChunk, listening: Listening | None = None) -> str:
        if audio.format.rate != RATE:
            raise AudioFormatError(f"Moonshine needs {RATE} Hz audio, got {audio.format.rate} Hz")
        samples = int16_to_float(audio.to_array())
        if len(samples) < RATE // 10:
            return ""  # under 0.1 s the encoder has no frames to give
        hidden = self.encoder.run(None, {"input_values": samples[None, :]})[0]
        limit = int(len(samples) / RATE * TOKENS_PER_SECOND) + 4
        return decode_text(self.pieces, self._greedy(hidden, limit))

    def _greedy(self, hidden: np.ndarray, limit: int) -> list[int]:
        cache = {name: np.zeros((1, 8, 0, 52), np.float32) for name in self.cache_names}
        tokens: list[int] = []
        token = START
        while len(tokens) < limit:
            feed = {"input_ids": np.array([[token]], np.int64), "encoder_hidden_states": hidden,
                    "use_cache_branch": np.array([bool(tokens)])}
            logits, *present = self.decoder.run(None, feed | cache)
            token = int(logits[0, -1].argmax())
            if token == END:
                break
            self._keep_cache(cache, present, first=not tokens)
            tokens.append(token)
        return tokens

    def _keep_cache(self, cache: dict, present: list[np.ndarray], first: bool) -> None:
        """The decoder's keys and values grow each step; the encoder's are computed once, on the first."""
        made = dict(zip(self.output_names[1:], present))
        for name in self.cache_names:
            if first or ".decoder." in name:
                cache[name] = made[name.replace("past_key_values", "present")]


def as_onnx(shipped: Path, cached: Path) -> Path:
    """The shipped ORT-format model re-saved as ONNX, once. Loaded in ORT format, onnxruntime skips
    the graph optimizations, so every decoding step dequantizes all the int8 weights again (Cast and
    Mul were 60% of its time); loaded from ONNX they are folded at load: 5-10x faster per token
    (the encoder, run once per turn: 84 ms to 62 for 3 s of speech)."""
    if cached.is_file():
        return cached
    import onnx
    import onnxruntime

    cached.parent.mkdir(parents=True, exist_ok=True)
    saved = cached.with_suffix(".saving")
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED  # no CPU-specific ops
    options.optimized_model_filepath = str(saved)
    onnxruntime.InferenceSession(str(shipped), options, providers=["CPUExecutionProvider"])
    model = onnx.load(str(saved))
    _name_subgraphs(model.graph, shipped.stem)  # onnxruntime writes its If branches without the names ONNX requires
    onnx.save(model, str(saved))
    saved.rename(cached)  # only a whole file is ever found at `cached`
    return cached


def _name_subgraphs(graph: Any, name: str) -> None:
    graph.name = graph.name or name
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.g.node:
                _name_subgraphs(attribute.g, f"{node.name}_{attribute.name}")


def read_tokenizer(path: Path) -> list[bytes]:
    """Moonshine's `tokenizer.bin`: each token's bytes after a length of one byte (below 128) or two."""
    data = path.read_bytes()
    pieces, at = [], 0
    while at < len(data):
        length, at = data[at], at + 1
        if length >= 128:
            length, at = data[at] * 128 + length - 128, at + 1
        pieces.append(data[at : at + length])
        at += length
    return pieces


def decode_text(pieces: list[bytes], tokens: list[int]) -> str:
    return b"".join(pieces[t] for t in tokens).decode("utf-8", "replace").replace(SPACE, " ").strip()
