"""Word error rate, on text normalized the way Whisper's English normalizer does."""

from __future__ import annotations

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
