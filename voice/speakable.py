"""Cutting streamed reply text into pieces to synthesize: the first clause alone, then sentences."""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*\s+")
CLAUSE_END = re.compile(r"[,;:]\s+")


class SpeakableSplitter:
    """Feed text as it streams in; get back pieces as soon as each is complete.

    The first piece of a reply is cut at its first clause so speech can start early; later
    pieces are whole sentences, which Piper voices more naturally.
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
        if self._emitted == 0:
            clause = CLAUSE_END.search(self._buffer)
            if clause and (not match or clause.start() < match.start()):
                words = self._buffer[: clause.start()].split()
                if len(words) >= self.min_first_clause_words:
                    match = clause
        if not match:
            return None
        piece, self._buffer = self._buffer[: match.end()].strip(), self._buffer[match.end() :]
        self._emitted += 1
        return piece or None
