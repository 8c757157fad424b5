"""Turn-taking without I/O: the VAD's events and speculative transcripts in, what to do out.

The session runs the actions (a transcription on a worker thread, the endpointer's new wait, the
reply task, a barge-in); the decisions are all here, so they are tested with plain lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogue.turn_end import Expect, Listening, sounds_finished
from voice.config import VadConfig
from voice.vad import SpeechEnded, SpeechPaused, SpeechResumed, SpeechStarted

WAIT_SCALE = {Expect.YES_NO: 0.6, Expect.NAME: 1.5}  # a yes needs little thought; a spelled name has gaps


# Events in, besides the VAD's own.
@dataclass(frozen=True)
class Transcribed:
    """A speculative transcript of the turn up to `end` is in (`text` None: it failed)."""

    end: int
    text: str | None
    listening: Listening


# Actions out.
@dataclass(frozen=True)
class Transcribe:
    """Start speech-to-text on the turn so far, speculatively: the user may go on."""

    start: int
    end: int


@dataclass(frozen=True)
class Wait:
    """From now on the turn ends after `ms` of quiet (the endpointer's wait)."""

    ms: int


@dataclass(frozen=True)
class Respond:
    """The turn is over: answer it; `speculated` says the speculative transcript covers all of it."""

    start: int
    end: int
    speculated: bool


@dataclass(frozen=True)
class BargeIn:
    """The user started talking while Parley talks: stop the reply."""


@dataclass(frozen=True)
class PauseHeard:
    """The user paused inside a turn and went on: how long, for the dialogue to learn their habit."""

    ms: float


@dataclass(frozen=True)
class Partial:
    """What the user has said so far, as the speculation heard it."""

    text: str


Event = SpeechStarted | SpeechPaused | SpeechResumed | SpeechEnded | Transcribed
Action = Transcribe | Wait | Respond | BargeIn | PauseHeard | Partial


class TurnTaker:
    """When to transcribe, how long to wait for more, when the turn is over, when to barge in.

    One speculation runs at a time (two would each run at half speed): a pause that comes while
    one runs waits for it. A transcript counts only if the user is still quiet where it was taken;
    then a turn that reads as finished waits `finished_wait_ms` (scaled by what the dialogue
    expects, never shorter than this caller's habitual pause), one that does not, the longest.
    `speculate=False` gives the naive baseline: no speculation, the endpointer's fixed wait.
    """

    def __init__(self, vad: VadConfig, speculate: bool = True, barge_in: bool = True):
        self.vad = vad
        self.speculate = speculate
        self.barge_in = barge_in
        self._running: SpeechPaused | None = None  # the speculation being transcribed
        self._queued: SpeechPaused | None = None  # a later pause, waiting for it
        self._quiet_at: int | None = None  # the end of the turn's audio while the user is quiet in it
        self._speculated: int | None = None  # the end of the latest speculation in this turn

    def handle(self, event: Event, agent_talking: bool = False) -> list[Action]:
        if isinstance(event, SpeechStarted):
            return [BargeIn()] if self.barge_in and agent_talking else []
        if isinstance(event, SpeechPaused):
            return self._paused(event)
        if isinstance(event, SpeechResumed):
            self._quiet_at = self._queued = None
            return [PauseHeard(event.pause_ms)]
        if isinstance(event, SpeechEnded):
            return [self._ended(event)]
        return self._transcribed(event)

    def input_over(self) -> None:
        """No more audio: a transcript that comes in now ends nothing."""
        self._running = self._queued = self._quiet_at = self._speculated = None

    def _paused(self, event: SpeechPaused) -> list[Action]:
        self._quiet_at = event.end
        if not self.speculate:
            return []
        if self._running is not None:
            self._queued = event
            return []
        return self._start(event)

    def _start(self, pause: SpeechPaused) -> list[Action]:
        self._running, self._speculated = pause, pause.end
        return [Transcribe(pause.start, pause.end)]

    def _transcribed(self, event: Transcribed) -> list[Action]:
        if self._running is None or event.end != self._running.end:
            return []  # from a turn that is over, or input that is
        queued, self._running, self._queued = self._queued, None, None
        if queued is not None and queued.end > event.end:
            return self._start(queued)  # the user spoke on and paused again meanwhile
        if event.text is None or self._quiet_at != event.end:
            return []
        finished = sounds_finished(event.text, event.listening.expect)
        wait = Wait(self._wait_ms(finished, event.listening))
        return [Partial(event.text), wait] if event.text else [wait]

    def _wait_ms(self, finished: bool, listening: Listening) -> int:
        if not finished:
            return self.vad.unfinished_wait_ms
        wait = self.vad.finished_wait_ms * (WAIT_SCALE.get(listening.expect, 1.0) if listening.expect else 1.0)
        if listening.pause_ms:  # this caller is known to pause this long mid-turn: don't cut them off
            wait = max(wait, min(listening.pause_ms + 100, self.vad.unfinished_wait_ms))
        return int(wait)

    def _ended(self, event: SpeechEnded) -> Respond:
        speculated = self._speculated == event.end
        self._running = self._queued = self._quiet_at = self._speculated = None
        return Respond(event.start, event.end, speculated)
