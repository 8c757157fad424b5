"""What a session reports as it runs: plain dataclasses, one per kind of event."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TurnTrace:
    """Where the time of one turn went, in milliseconds, from the user's last speech sample."""

    endpoint_wait_ms: float  # last speech sample -> endpoint detected
    stt_ms: float  # endpoint -> transcript (0 when speculation had it ready)
    dialogue_ms: float  # transcript -> first reply text
    tts_ms: float  # first reply text -> first reply audio handed to the output
    total_ms: float  # last speech sample -> first reply audio handed to the output
    speech_seconds: float  # length of the user's turn, for the STT real-time factor
    stt_compute_ms: float = 0.0  # how long transcribing the turn took, wherever it ran
    stt_wait_ms: float = 0.0  # how long the turn's transcription waited for the engine (other calls' turns)
    speculated: bool = False  # answered from a transcript taken at a pause, before the endpoint


@dataclass
class Turn:
    """One utterance in the conversation. For the agent, `heard` is what was actually played."""

    role: str  # "user" or "agent"
    text: str
    heard: str = ""
    interrupted: bool = False
    trace: TurnTrace | None = None
    withdrawn: bool = False  # a reply taken back because the caller went on: the whole turn was answered after it


@dataclass(frozen=True)
class SpeechStartedEvent:
    sample: int


@dataclass(frozen=True)
class EndpointEvent:
    """The user's turn is over, as far as Parley can tell: the reply starts now."""

    start: int
    end: int


@dataclass(frozen=True)
class TranscriptEvent:
    text: str  # the user's whole turn, as the reply will take it


@dataclass(frozen=True)
class PartialTranscriptEvent:
    text: str  # the turn so far, transcribed on a pause; the user may go on


@dataclass(frozen=True)
class StateEvent:
    """What the conversation is doing now, for a display: one of STATES."""

    state: str


STATES = ("listening", "hearing", "thinking", "speaking")


@dataclass(frozen=True)
class AgentTextEvent:
    text: str  # one speakable piece, emitted as it goes to synthesis


@dataclass(frozen=True)
class TurnLatencyEvent:
    trace: TurnTrace


@dataclass(frozen=True)
class BargeInEvent:
    heard: str  # the part of the reply that was played before the user cut in
    dropped_seconds: float
    withdrawn: bool = False  # it had only just begun: taken back, and the caller's turn answered whole


@dataclass(frozen=True)
class BackchannelEvent:
    text: str  # what the user said over Parley that let it go on ("mhm", "okay")


@dataclass(frozen=True)
class AudioDroppedEvent:
    chunks: int  # live input chunks dropped because processing fell behind


@dataclass(frozen=True)
class TurnFailedEvent:
    error: str  # why this turn got no (complete) reply; the session goes on listening


SessionEvent = (
    SpeechStartedEvent
    | EndpointEvent
    | TranscriptEvent
    | PartialTranscriptEvent
    | StateEvent
    | AgentTextEvent
    | TurnLatencyEvent
    | BargeInEvent
    | BackchannelEvent
    | AudioDroppedEvent
    | TurnFailedEvent
)


@dataclass
class SpokenPiece:
    text: str
    seconds: float = 0.0  # audio handed to the output for this piece


@dataclass
class SpokenReply:
    """The pieces of one reply and how much audio each got, to work out what was heard."""

    pieces: list[SpokenPiece] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(piece.text for piece in self.pieces)

    @property
    def seconds(self) -> float:
        return sum(piece.seconds for piece in self.pieces)

    def heard(self, played_seconds: float) -> str:
        """The words played in the first `played_seconds`, cutting the last piece pro rata."""
        words: list[str] = []
        for piece in self.pieces:
            if played_seconds <= 0:
                break
            piece_words = piece.text.split()
            share = 1.0 if piece.seconds <= played_seconds else played_seconds / piece.seconds
            words += piece_words[: int(len(piece_words) * share)]
            played_seconds -= piece.seconds
        return " ".join(words)
