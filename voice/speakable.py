"""Cutting streamed reply text into pieces to synthesize: the first clause alone, then sentences."""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*\s+")
CLAUSE_END = re.compile(r"[,;:]\s+")
LONG_SENTENCE_WORDS = 14  # longer sentences go in clauses: one takes Piper about a second, a silence mid-reply
MIN_CLAUSE_WORDS = 4


def speakable_pieces(text: str) -> list[str]:
    """All of `text` cut as a streamed reply is cut before synthesis."""
    splitter = SpeakableSplitter()
    return splitter.feed(text) + splitter.finish()


class SpeakableSplitter:
    """Feed text as it streams in; get back pieces as soon as each is complete.

    The first piece of a reply is cut at its first clause so speech can start early; later
    pieces are whole sentences, which Piper voices more naturally, except long ones, cut at their
    clauses so the next piece is ready before the one playing ends.
    """

    def __init__(self, min_first_clause_words: int = 2):
        self.min_first_clause_words = min_first_clause_words
        self._buffer = ""
        self._emitted = 0

    def feed(self, text: str) -> list[str]:
        self._buffer += text
        pieces = []
        while (piece := self._next_piece()) is not None:
            pieces.append(piece)
        return pieces

    def finish(self) -> list[str]:
        rest, self._buffer = self._buffer.strip(), ""
        return [rest] if rest else []

    def _next_piece(self) -> str | None:
        match = SENTENCE_END.search(self._buffer)
        clause = CLAUSE_END.search(self._buffer)
        if clause and (not match or clause.start() < match.start()):
            words = len(self._buffer[: clause.start()].split())
            if self._emitted == 0 and words >= self.min_first_clause_words:
                match = clause
            elif match and words >= MIN_CLAUSE_WORDS and self._words_to(match) > LONG_SENTENCE_WORDS:
                match = clause
        if not match:
            return None
        piece, self._buffer = self._buffer[: match.end()].strip(), self._buffer[match.end() :]
        self._emitted += 1
        return piece or None

    def _words_to(self, match: re.Match) -> int:
        return len(self._buffer[: match.start()].split())
