"""Turn-taking without I/O: the VAD's events and speculative transcripts in, what to do out.

The session runs the actions (a transcription on a worker thread, the endpointer's new wait, the
reply task, a barge-in); the decisions are all here, so they are tested with plain lists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from parley.dialogue.turn_end import Expect, Listening, is_backchannel, sounds_finished
from parley.voice.audio import AudioChunk
from parley.voice.config import VadConfig
from parley.voice.vad import Endpointer, SpeechEnded, SpeechPaused, SpeechResumed, SpeechStarted

WAIT_SCALE = {Expect.YES_NO: 0.6, Expect.NAME: 1.5}  # a yes needs little thought; a spelled name has gaps
# Speech over Parley that goes on longer than this without a pause is no "mhm" (a slow one lasts
# up to about 900 ms): it takes the turn before its transcript is in.
BACKCHANNEL_MAX_MS = 1000
DUCKED_GAIN = 0.3  # Parley's voice while it cannot yet tell a backchannel from a barge-in (about -10 dB)


# Events in, besides the VAD's own.
@dataclass(frozen=True)
class Transcribed:
    """A speculative transcript of the turn up to `end` is in (`text` None: it failed)."""

    end: int
    text: str | None
    listening: Listening


@dataclass(frozen=True)
class HeardUpTo:
    """The input has been heard up to sample `end` (every chunk: how long speech over Parley lasts)."""

    end: int


# Actions out.
@dataclass(frozen=True)
class Started:
    """The user started speaking at sample `sample` (a turn, or speech over Parley)."""

    sample: int


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
    """The turn is over: answer it; `speculated` says the speculative transcript covers all of it.
    `takes_back`: it began over the first moments of the last reply, which has since played out, and
    goes on from the turn that reply answered: that reply is taken back."""

    start: int
    end: int
    speculated: bool
    takes_back: bool = False


@dataclass(frozen=True)
class StopReply:
    """The user started talking while Parley talks: stop the reply (and play the next at full volume).
    `take_back`: the reply had only just begun, so the caller was not done: the turn it answered goes
    on in the one being spoken, answered whole."""

    take_back: bool = False


@dataclass(frozen=True)
class SetGain:
    """Play Parley's voice at `gain` from now on (1.0: full volume again)."""

    gain: float


@dataclass(frozen=True)
class LetReplyRun:
    """What the user said over Parley was a backchannel: keep talking, and forget it as a turn."""

    text: str


@dataclass(frozen=True)
class PauseHeard:
    """The user paused inside a turn and went on: how long, for the dialogue to learn their habit."""

    ms: float


@dataclass(frozen=True)
class Partial:
    """What the user has said so far, as the speculation heard it."""

    text: str


TurnInput = SpeechStarted | SpeechPaused | SpeechResumed | SpeechEnded | Transcribed | HeardUpTo
TurnAction = Started | Transcribe | Wait | Respond | StopReply | SetGain | LetReplyRun | PauseHeard | Partial


class TurnTaker:
    """When to transcribe, how long to wait for more, when the turn is over, when to barge in.

    One speculation runs at a time (two would each run at half speed): a pause that comes while
    one runs waits for it. A transcript counts only if the user is still quiet where it was taken;
    then a turn that reads as finished waits `finished_wait_ms` (scaled by what the dialogue
    expects, never shorter than this caller's habitual pause), one that does not, the longest.
    `speculate=False` gives the naive baseline: no speculation, the endpointer's fixed wait.

    Speech that starts while Parley talks ducks Parley's voice; its first transcript decides: a
    backchannel ("mhm", "okay") lets Parley go on at full volume and is no turn, anything else, or
    speech longer than a backchannel, barges in. Without speculation any such speech barges in.
    """

    def __init__(self, vad: VadConfig, speculate: bool = True, barge_in: bool = True, rate: int = 16000):
        self.vad = vad
        self._rate = rate
        self.speculate = speculate
        self.barge_in = barge_in
        # Without speculation (the naive baseline) every turn waits end_silence_ms; with it, a turn
        # waits as long as an unfinished one might, until its transcript says otherwise.
        self.endpointer = Endpointer(vad, rate, default_wait_ms=vad.unfinished_wait_ms if speculate else None)
        self._continues_from: int | None = None  # a turn cut in on before its transcript reached the dialogue
        self._running: SpeechPaused | None = None  # the speculation being transcribed
        self._queued: SpeechPaused | None = None  # a later pause, waiting for it
        self._quiet_at: int | None = None  # the end of the turn's audio while the user is quiet in it
        self._speculated: tuple[int, int] | None = None  # the span of the latest speculation in this turn
        self._overlap: int | None = None  # where speech over Parley began, while it is undecided
        self._answered_from: int | None = None  # the turn last answered, while its reply can still be taken back
        self._going_on = False  # the turn being spoken takes back a reply that played out over it

    def listen(self, chunk: AudioChunk, end: int) -> list[TurnInput]:
        """The events a chunk of input brings (echo already made quiet), heard up to sample `end`."""
        return [*self.endpointer.feed(chunk), HeardUpTo(end)]

    def take(self, event: TurnInput, agent_talking: bool = False) -> list[TurnAction]:
        """What `event` calls for, with what concerns the endpointer already done: the session carries out the rest."""
        return self._carried(self.handle(event, agent_talking))

    def handle(self, event: TurnInput, agent_talking: bool = False) -> list[TurnAction]:
        """The decision alone (the endpointer's new wait a `Wait`): for tests and for `take`."""
        return TURN_EVENTS[type(event)](self, event, agent_talking)

    def _carried(self, actions: list[TurnAction]) -> list[TurnAction]:
        """A new wait given to the endpointer (which may end the turn now), a backchannel's turn forgotten."""
        done: list[TurnAction] = []
        for action in actions:
            if isinstance(action, Wait):
                ended = self.endpointer.wait(action.ms)
                done += self._carried(self.handle(ended)) if ended is not None else []
                continue
            if isinstance(action, LetReplyRun):
                self.endpointer.forget_turn()
            done.append(action)
        return done

    def reply_stood(self, turn_start: int | None) -> None:
        """The reply to the turn from `turn_start` has played long enough unspoken-over: it is no longer taken back."""
        if turn_start == self._answered_from:
            self._answered_from = None

    def reply_cut(self, turn_start: int | None, transcript_read: bool) -> None:
        """The reply to the turn from `turn_start` was cut in on. If its transcript never reached the
        dialogue, the endpoint came too early: the caller went on, and the next turn starts there."""
        if turn_start is not None and not transcript_read:
            self._continues_from = turn_start

    @property
    def in_speech(self) -> bool:
        return self.endpointer.in_speech

    @property
    def overlapping(self) -> bool:
        """The caller is speaking over Parley, and it is not yet known whether to stop."""
        return self._overlap is not None

    def input_over(self) -> None:
        """No more audio: a transcript that comes in now ends nothing."""
        self._forget()

    def _forget(self) -> None:
        """Nothing of a turn in progress is kept: it ended, was a backchannel, or the input is over."""
        self._running = self._queued = self._quiet_at = self._speculated = self._overlap = None

    # --- speech over Parley: a backchannel or a barge-in ----------------------------------------

    def _started(self, event: SpeechStarted, agent_talking: bool) -> list[TurnAction]:
        return [Started(event.sample), *self._overlap_started(event, agent_talking)]

    def _overlap_started(self, event: SpeechStarted, agent_talking: bool) -> list[TurnAction]:
        if not (self.barge_in and agent_talking):
            return []
        if not self.speculate:
            return [StopReply()]
        self._overlap = event.sample
        return [SetGain(DUCKED_GAIN)]

    def _overlap_heard(self, event: HeardUpTo, agent_talking: bool) -> list[TurnAction]:
        """Still talking over Parley past a backchannel's length (a pause stops the count: "okay" then
        quiet waits for its transcript)."""
        talking = self._overlap is not None and self._quiet_at is None
        too_long = talking and (event.end - (self._overlap or 0)) * 1000 > BACKCHANNEL_MAX_MS * self._rate
        return self._settled(agent_talking) if too_long else []

    def _settled(self, agent_talking: bool, text: str | None = None) -> list[TurnAction]:
        return self._decided() if agent_talking else self._overlap_over(text)

    def _decided(self) -> list[TurnAction]:
        """The speech over Parley takes the turn (if any was undecided)."""
        if self._overlap is None:
            return []
        self._overlap = None
        return [StopReply(self._take_back())]

    def _take_back(self) -> bool:
        """Whether the reply being spoken over had only just begun: then the turn it answered goes on in this one."""
        earlier, self._answered_from = self._answered_from, None
        if earlier is not None:
            self._continues_from = earlier if self._continues_from is None else min(earlier, self._continues_from)
        return earlier is not None

    def _backchannel(self, text: str) -> list[TurnAction]:
        self._forget()
        return [SetGain(1.0), LetReplyRun(text)]

    def _resumed(self, event: SpeechResumed, agent_talking: bool) -> list[TurnAction]:
        self._quiet_at = self._queued = None
        return [PauseHeard(event.pause_ms)]

    def _speech_ended(self, event: SpeechEnded, agent_talking: bool) -> list[TurnAction]:
        return [*self._settled(agent_talking), self._ended(event)]

    def _paused(self, event: SpeechPaused, agent_talking: bool) -> list[TurnAction]:
        self._quiet_at = event.end
        if not self.speculate:
            return []
        if self._running is not None:
            self._queued = event
            return []
        return self._start(event)

    def wants(self, end: int) -> bool:
        """Whether the speculation up to `end` is still the one that can decide the turn: not once the
        user has paused again later (a newer one waits to run)."""
        return self._running is not None and self._running.end == end and self._queued is None

    def _start(self, pause: SpeechPaused) -> list[TurnAction]:
        """Transcribe the turn so far (from the turn it continues, if its reply was taken back)."""
        start = pause.start if self._continues_from is None else min(pause.start, self._continues_from)
        self._running, self._speculated = pause, (start, pause.end)
        return [Transcribe(start, pause.end)]

    def _transcribed(self, event: Transcribed, agent_talking: bool) -> list[TurnAction]:
        running = self._running
        if running is None or event.end != running.end:
            return []  # from a turn that is over, or input that is
        queued, self._running, self._queued = self._queued, None, None
        if queued is not None and queued.end > event.end:
            return self._start(queued)  # the user spoke on and paused again meanwhile
        if event.text is None:
            # No transcript to read the turn by (speech-to-text was busy with other calls' turns, or
            # failed): wait as long as the naive baseline does, not as long as for an unfinished turn;
            # but not over Parley's voice, where echo cancellation chops the caller's speech into pauses.
            shorter = self._quiet_at == event.end and self._overlap is None
            return [*self._decided(), *([Wait(self.vad.end_silence_ms)] if shorter else [])]
        if self._quiet_at != event.end:
            return []
        if self._overlap is not None and agent_talking and is_backchannel(event.text):
            return self._backchannel(event.text)
        continued_from = self._continues_from
        decided = self._settled(agent_talking, event.text)
        if self._continues_from != continued_from:  # it goes on from a turn taken back: read the two together first
            return [*decided, *self._start(running)]
        finished = sounds_finished(event.text, event.listening.expect)
        wait = Wait(self._wait_ms(finished, event.listening))
        return [*decided, Partial(event.text), wait] if event.text else [*decided, wait]

    def _overlap_over(self, text: str | None) -> list[TurnAction]:
        """Parley finished while the user spoke over its end: that speech is a turn; one begun over the
        first moments of the reply (and no backchannel) goes on from the turn that reply answered."""
        was, self._overlap = self._overlap, None
        if was is None:
            return []
        self._going_on = not (text and is_backchannel(text)) and self._take_back()
        return [SetGain(1.0)]

    def _wait_ms(self, finished: bool, listening: Listening) -> int:
        if not finished:
            return self.vad.unfinished_wait_ms
        wait = self.vad.finished_wait_ms * (WAIT_SCALE.get(listening.expect, 1.0) if listening.expect else 1.0)
        if listening.pause_ms:  # this caller is known to pause this long mid-turn: don't cut them off
            wait = max(wait, min(listening.pause_ms + 100, self.vad.unfinished_wait_ms))
        return int(wait)

    def _ended(self, event: SpeechEnded) -> Respond:
        """The turn, from where an earlier one that was cut in on began; answered from the speculation if it covers all of it."""
        earlier, self._continues_from = self._continues_from, None
        start = event.start if earlier is None else min(event.start, earlier)
        speculated = self._speculated == (start, event.end)
        takes_back, self._going_on = self._going_on, False
        self._forget()
        self._answered_from = start if self.speculate else None
        return Respond(start, event.end, speculated, takes_back)


# Every event the turn-taker takes, and what reads it; one with no entry raises KeyError.
TURN_EVENTS: dict[type, Callable[[TurnTaker, Any, bool], list[TurnAction]]] = {
    SpeechStarted: TurnTaker._started,
    SpeechPaused: TurnTaker._paused,
    SpeechResumed: TurnTaker._resumed,
    SpeechEnded: TurnTaker._speech_ended,
    Transcribed: TurnTaker._transcribed,
    HeardUpTo: TurnTaker._overlap_heard,
}
