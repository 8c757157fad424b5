"""Does what the user said so far sound like the end of their turn? Wording and the dialogue decide."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from parley.dialogue.nlu import PHONE_LENGTHS, normalize, plausible_phone

# A turn that stops on one of these words is very likely to go on ("a table for ... four").
UNFINISHED_ENDINGS = {
    "and", "or", "but", "so", "because", "the", "a", "an", "for", "at", "on", "in", "to", "of", "with", "my",
    "our", "your", "is", "it's", "um", "uh", "er", "erm", "like", "then", "about", "around", "from", "this",
    "next", "that", "than", "be", "are", "i", "i'm", "we", "we're", "that's", "there's", "what's", "here's",
}
# "Could you | cancel it": a request's verb is still to come.
MODALS = {"can", "could", "would", "will", "may", "shall", "should"}
SUBJECTS = {"you", "we", "i"}
# Whisper, given speech cut off after "a table for", often writes "a table for it.": a preposition
# and a lone pronoun at the very end is that guess more often than what was said.
PREPOSITIONS = {"for", "at", "on", "to", "with", "of", "from", "about", "around"}
GUESSED_OBJECTS = {"it", "you", "that", "this", "them"}
# What a listener says to keep a speaker going, not to take the turn; Whisper writes "mhm" many ways.
BACKCHANNELS = {
    "mhm", "mm", "hmm", "mmhmm", "mm-hmm", "uh-huh", "uh", "huh", "okay", "ok", "yeah", "yep", "yes", "right",
    "sure", "alright", "all", "great", "cool", "fine", "good", "i", "see", "got", "it", "aha", "ah", "oh",
}
BACKCHANNEL_WORDS = 3  # "oh I see", "okay got it", "yeah right": longer is something to say
# Whisper, given a lone "mhm" or "yeah" under a reply, often writes a word it half heard: one such
# word alone is no barge-in (a real one says what is wrong: "wait", "no", "sorry", a question).
MISHEARD_HUMS = {"you", "and", "the", "a", "so", "it", "he", "him", "um", "er", "hm", "yep", "yup", "mm-hm"}


class Expect(StrEnum):
    """The kind of answer the dialogue is waiting for, which changes how long a pause may be."""

    YES_NO = "yes_no"
    DIGITS = "digits"
    NAME = "name"


@dataclass(frozen=True)
class Listening:
    """What the dialogue expects next, and what memory knows of how this caller pauses."""

    expect: Expect | None = None
    pause_ms: int | None = None  # the longest pause this caller habitually makes inside a turn
    prompt: str = ""  # this restaurant's words to prime speech-to-text with; "": the engine's own
    hotwords: str = ""  # names to listen for (this restaurant's callers), when a name may come


def sounds_finished(transcript: str, expect: Expect | None = None) -> bool:
    text = transcript.strip()
    if not text or text.endswith((",", "...", "…", "-", ":", ";")):
        return False
    words = re.findall(r"[a-z0-9']+", text.lower())
    if words and words[-1] in UNFINISHED_ENDINGS:
        return False
    if len(words) >= 2 and words[-2] in PREPOSITIONS | MODALS and words[-1] in GUESSED_OBJECTS | SUBJECTS:
        return False
    digits = "".join(re.findall(r"\d+", normalize(text)))
    if expect == Expect.DIGITS or "number" in words:  # half a phone number: they are still reading it out
        return not digits or _whole_number(digits)
    return not _reading_out_digits(normalize(text))


def _whole_number(digits: str) -> bool:
    """As many digits as a phone number has ("077 99 123" is 8 of an 0 number's 10 or 11), or more."""
    return plausible_phone(digits) or len(digits) > max(PHONE_LENGTHS)


def is_backchannel(transcript: str) -> bool:
    """Whether words said over Parley only keep it going ("mhm", "okay", "yeah, right"), as opposed
    to taking the turn ("wait", "no", "sorry", a question)."""
    if "?" in transcript:
        return False  # "Okay?", "Hm?": asking, not agreeing
    if re.fullmatch(r"[\W_]*([mhn][\W_]*)+", transcript.lower()):
        return True  # a hum, however Whisper spells it: "Mm.", "HMM", "M H M", "Mm hm."
    words = re.findall(r"[a-z'-]+|\d", transcript.lower())
    if len(words) == 1 and words[0] in MISHEARD_HUMS:
        return True
    return 0 < len(words) <= BACKCHANNEL_WORDS and all(word.strip("-") in BACKCHANNELS for word in words)


def _reading_out_digits(words: str) -> bool:
    """Ends in digit groups like the start of a phone number ("Lena Park, 555"), not a time or size."""
    tail = re.search(r"(?:\b(at|for|around|by|about|until)\s+)?((?:\d+[\s,.-]*)+)$", words)
    if not tail or tail.group(1):
        return False
    groups = re.findall(r"\d+", tail.group(2))
    return sum(map(len, groups)) >= 3 and not _whole_number("".join(groups))
