"""Which heard words are names: census names, English's commonest words, and the names a restaurant knows, matched by sound."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import jellyfish

COMMON_SURNAME_RANK = 2000  # a surname this common is a name though it is a word too: Young, Baker, Hall, Stone
ALIKE = 0.85  # how alike by sound, over the whole name, a heard name must be to a known one to become it
EACH_ALIKE = 0.7  # ... and each of its words to the known name's word in its place
SAME_LENGTH = 0.6  # keys compared whole (words that do not pair up, a spelling) must be about as long
AHEAD = 0.05  # ... and by how much ahead of the next most alike known name
CONTRACTIONS = ("n't", "'s", "'ll", "'re", "'ve", "'m", "'d")

Verdict = Literal["known", "sounds like", "doubtful", "name"]


@dataclass(frozen=True)
class Lexicon:
    first_names: frozenset[str]
    surname_ranks: dict[str, int]
    common_words: frozenset[str]  # English's commonest words (dialogue/common_words.txt, made by tests/common_words.py)


@cache
def lexicon() -> Lexicon:
    """The 1990 US Census's first names and 88,799 surnames with their ranks (PyPI `names`, MIT), read once."""
    census = resources.files("names")
    first = {line.split()[0].lower() for f in ("dist.male.first", "dist.female.first")
             for line in census.joinpath(f).read_text().splitlines() if line.strip()}
    ranks = {row[0].lower(): int(row[3]) for line in census.joinpath("dist.all.last").read_text().splitlines()
             if len(row := line.split()) == 4}
    words = resources.files("parley.dialogue").joinpath("common_words.txt").read_text().split()
    return Lexicon(frozenset(first), ranks, frozenset(words))


def is_name(word: str) -> bool:
    """A name people have; a common word only if it is a first name or a common surname too."""
    w = word.lower()
    return _common_name(w) or w in lexicon().surname_ranks and not is_word(w)


def is_word(word: str) -> bool:
    """One of English's commonest words (or a contraction), and not a name too."""
    w = word.lower()
    return not _common_name(w) and (w in lexicon().common_words or w.endswith(CONTRACTIONS))


def _common_name(w: str) -> bool:
    names = lexicon()
    return w in names.first_names or names.surname_ranks.get(w, COMMON_SURNAME_RANK + 1) <= COMMON_SURNAME_RANK


def judge(heard: str, known: Sequence[str], by_ear: bool = True) -> tuple[Verdict, str | None]:
    """What a heard name is: one the restaurant knows; one that sounds like a name it knows (and is
    taken for it); doubtful when it has a word that is no name ("Don't Look"), a surname no census
    holds ("Sheldon Haddard"), or the words of two known names; else a name. First names are not
    held to the census's: its 5,163 are American first names of 1990 (no Priya, no Rahul). A name
    typed, not heard (`by_ear` False), is what the caller wrote: only words that are no name doubt it."""
    exact = {name.lower(): name for name in known}
    words = heard.replace("-", " ").split()
    if heard.lower() in exact:
        return "known", exact[heard.lower()]
    if by_ear and (alike := sounds_like(heard, known)):
        return "sounds like", alike
    if any(is_word(word) for word in words):
        return "doubtful", None
    if by_ear and (not is_name(words[-1]) or _from_two_known(words, known)):
        return "doubtful", None
    return "name", None


def _from_two_known(words: list[str], known: Sequence[str]) -> bool:
    """Words of two different known names in one heard name: hotwords run together ("Mehta Novak")."""
    owners = {name for name in known for word in words if word.lower() in name.lower().split()}
    return len(owners) > 1


def sounds_like(heard: str, known: Sequence[str]) -> str | None:
    """The one known name a heard name sounds like, clearly more than any other ("Mai Tonokka" for Mei Tanaka)."""
    scored = sorted(((_likeness(heard, name), name) for name in known), reverse=True)
    if not scored or scored[0][0] < ALIKE:
        return None
    if len(scored) > 1 and scored[1][0] > scored[0][0] - AHEAD:
        return None
    return scored[0][1]


def _likeness(heard: str, name: str) -> float:
    """Metaphone keys compared word by word (each word alike enough), or whole when the words do not pair up."""
    ours, theirs = _keys(heard), _keys(name)
    if len(ours) != len(theirs):
        whole, other = "".join(ours), "".join(theirs)  # a word or two heard of a longer name is no evidence
        return jellyfish.jaro_winkler_similarity(whole, other) if _about_as_long(whole, other) else 0.0
    each = [jellyfish.jaro_winkler_similarity(a, b) if a and b else float(a == b) for a, b in zip(ours, theirs)]
    return sum(each) / len(each) if min(each, default=0.0) >= EACH_ALIKE else 0.0


def _keys(name: str) -> list[str]:
    return [jellyfish.metaphone(word) for word in name.replace("-", " ").replace(",", " ").replace(".", " ").split()]


def spelled_like(spelled: str, heard: str) -> bool:
    """Whether a name spelled out is a name on record, or sounds like a word heard before it was spelled."""
    words = spelled.replace("-", " ").split()
    if words and all(is_name(word) for word in words):
        return True
    ours = jellyfish.metaphone(spelled.replace("-", ""))
    return any(_alike(ours, key) for key in _keys(heard))


def _alike(ours: str, theirs: str) -> bool:
    """Keys about as long and alike: letters run together or doubled ("Hadhdhd" for Hatted) are not."""
    return _about_as_long(ours, theirs) and jellyfish.jaro_winkler_similarity(ours, theirs) >= EACH_ALIKE


def _about_as_long(ours: str, theirs: str) -> bool:
    """Keys about as long ("Dan" is no evidence for Dana Scott)."""
    return bool(ours and theirs) and min(len(ours), len(theirs)) >= SAME_LENGTH * max(len(ours), len(theirs))
