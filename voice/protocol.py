"""The WebSocket protocol, sans I/O: client messages parsed and checked, session events as JSON."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time
from typing import Any, ClassVar

from parley.dialogue.turn_end import Expect
from parley.voice.audio import SUPPORTED_RATES, AudioFormat
from parley.voice.events import (
    AgentTextEvent,
    AudioDroppedEvent,
    BackchannelEvent,
    BargeInEvent,
    PartialTranscriptEvent,
    SessionEvent,
    StateEvent,
    TranscriptEvent,
    TurnFailedEvent,
    TurnLatencyEvent,
)

VERSION = 1
CLIENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")

# Close codes (RFC 6455 and the IANA registry) and what Parley means by them.
NORMAL = 1000  # the call ended, or the client said bye
PROTOCOL_ERROR = 1002  # audio before hello, a second hello, an unknown protocol version
UNSUPPORTED_AUDIO = 1003  # an audio format Parley cannot take
POLICY = 1008  # a wrong or missing token, no hello in time, a client that does not read
SERVICE_RESTART = 1012  # the server is stopping (a restart): it takes no new calls; connect again shortly
TRY_AGAIN_LATER = 1013  # the server is serving as many sessions as it may


class ProtocolError(Exception):
    """A message Parley cannot take. `close_code` is set when the connection cannot go on."""

    def __init__(self, code: str, message: str, close_code: int | None = None):
        super().__init__(message)
        self.code = code
        self.close_code = close_code

    def as_message(self) -> ErrorMessage:
        return ErrorMessage(self.code, str(self), self.close_code is not None)


class Message:
    """A message of the protocol: `as_object()` is its JSON object, `encode()` the text frame."""

    __dataclass_fields__: ClassVar[dict[str, Any]]  # every message is a dataclass

    def as_object(self) -> dict:
        return {"type": _TYPES[type(self)], **dataclasses.asdict(self)}

    def encode(self) -> str:
        return json.dumps(self.as_object())


# Client to server.
@dataclass(frozen=True)
class Hello(Message):
    client_id: str
    audio: AudioFormat | None  # None for a satellite: text only
    token: str = ""
    resume: str = ""  # the session id of a call whose connection dropped: take it up again

    @property
    def satellite(self) -> bool:
        return self.audio is None

    def as_object(self) -> dict:
        mode = {"mode": "text"} if self.audio is None else {"audio": dataclasses.asdict(self.audio)}
        resume = {"resume": self.resume} if self.resume else {}
        return {"type": "hello", "version": VERSION, "client_id": self.client_id, "token": self.token, **mode, **resume}


@dataclass(frozen=True)
class Played(Message):
    seconds: float  # reply audio played since the call began, in total (over every connection it resumed on)


@dataclass(frozen=True)
class Bye(Message):
    pass


@dataclass(frozen=True)
class UserTurn(Message):
    """A satellite's transcript of one user turn, to be answered."""

    seq: int
    text: str


@dataclass(frozen=True)
class Record(Message):
    """A turn as a satellite recorded it (said online or offline), for the server's memory."""

    origin: str  # unique on the satellite, e.g. "12:user"
    turn: dict  # role, text, heard, interrupted, trace, at


# Server to a browser or the Python client, as the call goes (`ready` too, with the audio format).
@dataclass(frozen=True)
class State(Message):
    state: str  # listening, hearing, thinking, speaking


@dataclass(frozen=True)
class Transcript(Message):
    text: str
    final: bool  # False: a speculative transcript of the turn so far


@dataclass(frozen=True)
class Said(Message):
    """A piece of Parley's reply, as it is spoken."""

    text: str


@dataclass(frozen=True)
class TurnTimed(Message):
    latency: dict  # a TurnTrace: each stage in ms


@dataclass(frozen=True)
class BargeIn(Message):
    heard: str  # what the caller heard of the reply they cut off


@dataclass(frozen=True)
class Backchannel(Message):
    text: str  # what the caller said over the reply that let it go on ("mhm")


@dataclass(frozen=True)
class Duck(Message):
    """Play the reply at `gain` from now on (1.0: full volume): the caller spoke over it, and the
    server has not yet heard whether to stop."""

    gain: float


@dataclass(frozen=True)
class Flush(Message):
    """Drop the audio not yet played: the caller cut in; `played` seconds of it were heard."""

    played: float


@dataclass(frozen=True)
class End(Message):
    """The call is over (the server closes the connection next)."""


@dataclass(frozen=True)
class ErrorMessage(Message):
    code: str
    message: str
    fatal: bool


# Server to a satellite.
@dataclass(frozen=True)
class Ready(Message):
    session: str
    audio: AudioFormat | None  # the reply audio's format; None for a satellite

    def as_object(self) -> dict:
        audio = dataclasses.asdict(self.audio) if self.audio else None
        return {"type": "ready", "version": VERSION, "session": self.session, "audio": audio}


@dataclass(frozen=True)
class Agent(Message):
    """The next part of the reply to turn `seq`, as the brain streams it."""

    seq: int
    text: str


@dataclass(frozen=True)
class ReplyEnd(Message):
    """The reply to turn `seq` is complete; what the next turn should be; whether the call is over."""

    seq: int
    expect: Expect | None
    ended: bool


@dataclass(frozen=True)
class Recorded(Message):
    origin: str


_TYPES: dict[type, str] = {
    Hello: "hello", Played: "played", Bye: "bye", UserTurn: "user_turn", Record: "record", Ready: "ready",
    State: "state", Transcript: "transcript", Said: "agent", TurnTimed: "turn", BargeIn: "barge_in", Flush: "flush",
    Backchannel: "backchannel", Duck: "duck",
    End: "end", ErrorMessage: "error", Agent: "agent", ReplyEnd: "reply_end", Recorded: "recorded"}
BrowserMessage = Ready | State | Transcript | Said | TurnTimed | BargeIn | Backchannel | Duck | Flush | End | ErrorMessage
SatelliteMessage = Ready | Agent | ReplyEnd | Recorded


ClientMessage = Hello | Played | Bye | UserTurn | Record


def parse(text: str) -> ClientMessage:
    """One JSON text frame from a client; raises ProtocolError saying what is wrong with it."""
    try:
        message = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProtocolError("bad_json", f"not valid JSON: {error}") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolError("bad_message", 'a message is a JSON object with a "type" string')
    kind = message["type"]
    if kind == "hello":
        return _hello(message)
    if kind == "played":
        seconds = message.get("seconds")
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not 0 <= seconds < 1e9:
            raise ProtocolError("bad_message", '"played" needs "seconds": a number >= 0')
        return Played(float(seconds))
    if kind == "bye":
        return Bye()
    if kind == "user_turn":
        return _user_turn(message)
    if kind == "record":
        return _record(message)
    raise ProtocolError("unknown_type", f"unknown message type {kind!r} "
                        "(known: hello, played, bye; from satellites: user_turn, record)")


def _user_turn(message: dict) -> UserTurn:
    seq, text = message.get("seq"), message.get("text")
    if type(seq) is not int or not isinstance(text, str) or not text.strip():
        raise ProtocolError("bad_message", '"user_turn" needs "seq" (an integer) and "text"')
    return UserTurn(seq, text.strip())


def _record(message: dict) -> Record:
    origin, turn = message.get("origin"), message.get("turn")
    if not isinstance(origin, str) or not CLIENT_ID.fullmatch(origin) or not isinstance(turn, dict):
        raise ProtocolError("bad_message", '"record" needs "origin" and a "turn" object')
    if turn.get("role") not in ("user", "agent", "backchannel", "booking") or not isinstance(turn.get("text"), str):
        raise ProtocolError("bad_message", 'a recorded turn needs "role" (user, agent, backchannel or booking) and "text"')
    if turn["role"] == "booking" and not _booking_fields(turn.get("booking")):
        raise ProtocolError("bad_message", 'a recorded booking needs "booking": party_size, day (YYYY-MM-DD), '
                            'at (HH:MM), name, phone, notes')
    return Record(origin, turn)


def _booking_fields(fields: object) -> bool:
    if not isinstance(fields, dict):
        return False
    try:
        date.fromisoformat(fields["day"])
        time.fromisoformat(fields["at"])
    except (KeyError, TypeError, ValueError):
        return False
    notes = fields.get("notes", [])
    return (type(fields.get("party_size")) is int and isinstance(fields.get("name"), str)
            and isinstance(fields.get("phone"), str) and isinstance(notes, list) and all(isinstance(n, str) for n in notes))


def _hello(message: dict) -> Hello:
    if message.get("version") != VERSION:
        raise ProtocolError("bad_version", f"this server speaks protocol version {VERSION}, "
                            f"not {message.get('version')!r}", PROTOCOL_ERROR)
    client_id = message.get("client_id")
    if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
        raise ProtocolError("bad_client_id", "client_id: 1-64 letters, digits or _ . : -", PROTOCOL_ERROR)
    if message.get("mode") == "text":  # a satellite: speech stays on the device
        return Hello(client_id, None, _token(message))
    audio = message.get("audio")
    if not isinstance(audio, dict):
        raise ProtocolError("bad_audio", '"audio" needs {"rate": ..., "width": 2, "channels": 1}', UNSUPPORTED_AUDIO)
    rate, width, channels = audio.get("rate"), audio.get("width", 2), audio.get("channels", 1)
    if rate not in SUPPORTED_RATES or type(rate) is not int:
        raise ProtocolError("bad_audio", f"unsupported sample rate {rate!r} Hz "
                            f"(supported: {', '.join(map(str, SUPPORTED_RATES))})", UNSUPPORTED_AUDIO)
    if (width, channels) != (2, 1):
        raise ProtocolError("bad_audio", f"audio must be 16-bit mono PCM (width 2, channels 1), "
                            f"not width {width!r}, channels {channels!r}", UNSUPPORTED_AUDIO)
    return Hello(client_id, AudioFormat(rate, 2, 1), _token(message), _resumed(message))


def _resumed(message: dict) -> str:
    resume = message.get("resume", "")
    if not isinstance(resume, str) or not re.fullmatch(r"(|[0-9a-f]{16})", resume):
        raise ProtocolError("bad_resume", '"resume": the session id "ready" gave (16 hex digits)', PROTOCOL_ERROR)
    return resume


def _token(message: dict) -> str:
    token = message.get("token", "")
    return token if isinstance(token, str) else ""


def parse_for_satellite(text: str) -> SatelliteMessage:
    """One JSON text frame from the server to a satellite; ProtocolError for anything else (an
    `error` from the server comes back as a ProtocolError carrying its code and message)."""
    try:
        message = json.loads(text)
    except json.JSONDecodeError:
        message = None
    kind = message.get("type") if isinstance(message, dict) else None
    if isinstance(message, dict) and kind == "error":
        raise ProtocolError(str(message.get("code")), str(message.get("message", "refused")))
    try:
        return _satellite_message(kind, message)
    except (KeyError, TypeError, ValueError):
        raise ProtocolError("bad_message", f"not a message for a satellite: {text[:80]!r}") from None


def _satellite_message(kind: object, message: Any) -> SatelliteMessage:
    """One server message to a satellite; KeyError, TypeError or ValueError when it is not one."""
    if kind == "ready":
        return Ready(str(message["session"]), None)
    if kind in ("agent", "reply_end") and type(message["seq"]) is not int:
        raise TypeError("seq")
    if kind == "agent" and isinstance(message["text"], str):
        return Agent(message["seq"], message["text"])
    if kind == "reply_end":
        expect = message.get("expect")
        return ReplyEnd(message["seq"], Expect(expect) if expect else None, bool(message.get("ended")))
    if kind == "recorded" and isinstance(message["origin"], str):
        return Recorded(message["origin"])
    raise ValueError(kind)


def event_message(event: SessionEvent) -> BrowserMessage | None:
    """The message a session event becomes for the client; None for events it does not need."""
    to_message = EVENT_MESSAGES.get(type(event))
    return to_message(event) if to_message else None


# Which session events a client hears of, and as what (speech starting and the endpoint it learns from State).
EVENT_MESSAGES: dict[type, Callable[[Any], BrowserMessage]] = {
    StateEvent: lambda e: State(e.state),
    PartialTranscriptEvent: lambda e: Transcript(e.text, final=False),
    TranscriptEvent: lambda e: Transcript(e.text, final=True),
    AgentTextEvent: lambda e: Said(e.text),
    TurnLatencyEvent: lambda e: TurnTimed(dataclasses.asdict(e.trace)),
    BargeInEvent: lambda e: BargeIn(e.heard),
    BackchannelEvent: lambda e: Backchannel(e.text),
    AudioDroppedEvent: lambda e: ErrorMessage("audio_dropped", f"{e.chunks} input chunks dropped: the server fell behind",
                                              False),
    TurnFailedEvent: lambda e: ErrorMessage("turn_failed", e.error, False),
}


def parse_for_client(text: str) -> BrowserMessage:
    """One JSON text frame from the server to a browser or the Python client."""
    try:
        message = json.loads(text)
        kind = message.pop("type")
        if kind == "ready":
            audio = message["audio"]
            return Ready(message["session"], AudioFormat(**audio) if audio else None)
        cls = next(cls for cls, name in _TYPES.items() if name == kind and cls in BROWSER_TYPES)
        return cls(**message)
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError, StopIteration):
        raise ProtocolError("bad_message", f"not a message for a client: {text[:80]!r}") from None


BROWSER_TYPES = (State, Transcript, Said, TurnTimed, BargeIn, Backchannel, Duck, Flush, End, ErrorMessage)
