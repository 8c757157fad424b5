"""Scores for the measurements: word error rate (on Whisper-normalized text), medians and 95th percentiles."""

from __future__ import annotations

import numpy as np
from whisper_normalizer.english import EnglishTextNormalizer

_normalize = EnglishTextNormalizer()


def normalized_words(text: str) -> list[str]:
    return _normalize(text).split()


def word_error_rate(pairs: list[tuple[str, str]]) -> float:
    """Edits (substitutions, insertions, deletions) over reference words, for (reference, hypothesis) pairs."""
    edits = words = 0
    for reference, hypothesis in pairs:
        ref, hyp = normalized_words(reference), normalized_words(hypothesis)
        edits += _edit_distance(ref, hyp)
        words += len(ref)
    if words == 0:
        raise ValueError("word error rate needs at least one reference word")
    return edits / words


def _edit_distance(ref: list[str], hyp: list[str]) -> int:
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        current = [i]
        for j, hyp_word in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word)))
        previous = current
    return previous[-1]


def stats(values: list[float], digits: int = 1) -> dict:
    """Median and 95th percentile."""
    if not values:
        return {"p50": None, "p95": None}
    return {name: round(float(np.percentile(values, q)), digits) for name, q in (("p50", 50), ("p95", 95))}
