"""Property-based fuzzing: no input a client, a file or a caller can give raises anything but the
clear error each reader documents, and the dialogue never books what the caller did not confirm."""

from __future__ import annotations

import asyncio
import json
import string
from datetime import date, datetime, time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.configs.files import ConfigError
from parley.dialogue.domain import load_domain
from parley.dialogue.manager import DialogueManager
from parley.dialogue.moves import Commit, Committed, UserSaid
from parley.dialogue.nlu import understand
from parley.dialogue.state import Expecting
from parley.dialogue.types import Booking, Caller
from parley.voice import protocol
from parley.voice.app.settings import load_config
from parley.voice.audio import AudioFormat, AudioFormatError
from parley.voice.protocol import ProtocolError
from parley.voice.streams import PushedSource
from parley.voice.wav import read_mono16

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12)
MESSAGE_TYPES = ["hello", "played", "bye", "user_turn", "record", "ready", "agent", "reply_end", "recorded",
                 "error", "state", "transcript", "turn", "barge_in", "flush", "end", "nonsense"]
FIELDS = ["version", "client_id", "audio", "mode", "token", "seconds", "seq", "text", "origin", "turn", "session",
          "expect", "ended", "code", "message", "rate", "width", "channels", "role"]


@st.composite
def messages(draw) -> str:
    """A JSON text frame shaped like a protocol message: a known type, known field names, any values."""
    fields = draw(st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=6))
    return json.dumps({"type": draw(st.sampled_from(MESSAGE_TYPES)), **fields})


FRAMES = st.text(max_size=200) | messages() | JSON.map(json.dumps)


@FUZZ
@given(FRAMES)
def test_the_server_reads_any_client_frame_or_says_what_is_wrong(text):
    try:
        protocol.parse(text)
    except ProtocolError:
        pass


@FUZZ
@given(FRAMES)
def test_a_satellite_reads_any_server_frame_or_says_what_is_wrong(text):
    try:
        protocol.parse_for_satellite(text)
    except ProtocolError:
        pass


@FUZZ
@given(FRAMES)
def test_a_client_reads_any_server_frame_or_says_what_is_wrong(text):
    try:
        protocol.parse_for_client(text)
    except ProtocolError:
        pass


@FUZZ
@given(st.lists(st.binary(max_size=999), max_size=8), st.sampled_from([8000, 16000, 24000, 48000]))
def test_any_binary_frames_become_audio_at_the_pipeline_rate(frames, rate):
    async def feed():
        source = PushedSource(AudioFormat(rate), 16000)
        for frame in frames:
            source.feed(frame)
        source.close()
        return [chunk async for chunk in source.chunks()]

    for chunk in asyncio.run(feed()):
        assert chunk.format.rate == 16000 and len(chunk.audio) % 2 == 0


TOML_VALUES = st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False) | st.booleans() \
    | st.text(string.printable, max_size=10)
SECTIONS = ["audio", "vad", "stt", "tts", "session", "talk", "dialogue", "llm", "nonsense"]
KEYS = ["sample_rate", "chunk_ms", "frame_ms", "aggressiveness", "engine", "model", "prompt", "voice", "barge_in",
        "base_url", "model", "deadline_ms", "echo", "domain", "threads", "min_level_dbfs", "nonsense"]


def toml_value(value) -> str:
    return json.dumps(value) if not isinstance(value, bool) else str(value).lower()


@FUZZ
@given(tables=st.dictionaries(st.sampled_from(SECTIONS), st.dictionaries(st.sampled_from(KEYS), TOML_VALUES, max_size=3),
                              max_size=3) | st.text(max_size=80).map(lambda text: {"raw": text}))
def test_any_config_file_loads_or_names_the_key(tables, tmp_path_factory):
    path = tmp_path_factory.mktemp("config") / "parley.toml"
    if "raw" in tables:
        path.write_text(tables["raw"])
    else:
        path.write_text("\n".join(f"[{section}]\n" + "\n".join(f"{key} = {toml_value(value)}" for key, value in keys.items())
                                  for section, keys in tables.items()))
    try:
        load_config(path)
    except ConfigError as error:
        assert str(path) in str(error)


@FUZZ
@given(data=st.binary(max_size=400) | st.binary(max_size=400).map(lambda tail: _riff_header() + tail))
def test_any_file_is_read_as_audio_or_refused_clearly(data, tmp_path_factory):
    path: Path = tmp_path_factory.mktemp("wav") / "caller.wav"
    path.write_bytes(data)
    try:
        chunk = read_mono16(path, 16000)
    except AudioFormatError as error:
        assert str(path) in str(error)
    else:
        assert chunk.format.rate == 16000 and chunk.format.channels == 1


def _riff_header() -> bytes:
    """The first 36 bytes of a 16 kHz mono 16-bit WAV, so that fuzzing reaches past the magic."""
    return (b"RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80\x3e\x00\x00"
            b"\x00\x7d\x00\x00\x02\x00\x10\x00")


# What callers say, in pieces the NLU knows and pieces it does not: random lines built from them
# reach every rule, not only the parser's front door.
PIECES = ["yes", "no", "a table for", "four", "people", "tomorrow", "on Friday", "at seven", "half past eight",
          "my name is Ana Lopez", "five five five", "one two three four", "555 1234", "07700 900123", "cancel", "change",
          "my booking", "actually", "not Tuesday", "the last four are", "forget me", "what do you remember",
          "hours", "address", "goodbye", "um", "M, O, R, E, A, U.", "with a zed", "again", "twelve", "0", "-3",
          "1e9", "??", "", "🙂", "\x00"]
LINES = st.lists(st.sampled_from(PIECES) | st.text(max_size=15), max_size=6).map(" ".join)
# Whole answers, so that random calls get as far as a read-back and a booking, and change or cancel one.
ANSWERS = ["A table for four on Friday at seven.", "Ana Lopez.", "555 1234", "Yes.", "Yes please.", "No.",
           "Make it eight.", "Cancel my booking.", "Change my booking.", "Kim Wu, 555 9876.", "Sure.", "Saturday."]
BOOKING_CALL = ["A table for four on Friday at seven.", "Ana Lopez.", "555 1234", "Yes."]


@st.composite
def calls(draw) -> list[str]:
    """A booking call with random lines said anywhere in it: each may derail it, or not."""
    lines = list(BOOKING_CALL)
    for _ in range(draw(st.integers(0, 6))):
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(ANSWERS) | LINES))
    return lines


CALLS = calls()
TODAY = date(2026, 11, 28)
ANA = Booking(4, date(2026, 12, 4), time(19, 30), "Ana Lopez", "5551234", ("high chair",), 1)


class OneBooking:
    """A calendar with Ana's booking and a table free everywhere else, so every path is reachable."""

    def free_tables(self, day: date, at: time, ignoring: int | None = None) -> int:
        return 1

    def find(self, phone: str | None = None, name: str | None = None, today: date | None = None) -> list[Booking]:
        return [ANA] if phone == ANA.phone or name == ANA.name else []


class OneCaller:
    """Memory that knows Ana."""

    def caller(self, phone: str | None = None, name: str | None = None) -> Caller | None:
        known = phone == ANA.phone or name == ANA.name
        return Caller(1, ANA.name, ANA.phone, 4, ("high chair",), ANA) if known else None

    def recall(self, person_id: int, query: str) -> list[str]:
        return ["high chair"]

    def known_names(self, limit: int) -> list[str]:
        return [ANA.name]


@FUZZ
@given(LINES, st.sampled_from([None, *[e.value for e in Expecting]]))
def test_the_nlu_reads_any_line(line, asked):
    understand(line, TODAY, asked)


@FUZZ
@given(CALLS)
def test_the_dialogue_survives_any_call_and_books_only_what_was_confirmed(lines):
    manager = DialogueManager(load_domain(), OneBooking(), OneCaller())
    now = datetime(2026, 11, 28, 15, 0)
    for line in lines:
        expecting = manager.state.expecting
        actions = manager.handle(UserSaid(line), now)
        if any(isinstance(action, Commit) for action in actions):
            assert expecting == Expecting.CONFIRM and "yes" in understand(line, TODAY, expecting).intents, line
            actions += manager.handle(Committed(next(a.booking for a in actions if isinstance(a, Commit))), now)
