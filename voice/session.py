"""One conversation: listening tasks, endpointing, and one cancellable reply task per turn."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from parley.dialogue.brain import Brain
from parley.voice.audio import AudioChunk, squeeze_pauses
from parley.voice.config import PipelineConfig
from parley.voice.events import (
    AudioDroppedEvent,
    BackchannelEvent,
    BargeInEvent,
    EndpointEvent,
    PartialTranscriptEvent,
    SessionEvent,
    SpeechStartedEvent,
    SpokenReply,
    StateEvent,
    Turn,
    TurnFailedEvent,
)
from parley.voice.queues import DropOldestQueue, QueueClosed
from parley.voice.reply import Engines, ReplyRun, speak_greeting, speak_reply
from parley.voice.streams import AudioSink, AudioSource
from parley.voice.stt_queue import SttResult
from parley.voice.turn_taking import (
    LetReplyRun,
    Partial,
    PauseHeard,
    Respond,
    SetGain,
    Started,
    StopReply,
    Transcribe,
    Transcribed,
    TurnAction,
    TurnInput,
    TurnTaker,
)

log = logging.getLogger(__name__)

HISTORY_SECONDS = 60  # input audio kept for the turn being spoken; longer turns are cut


@dataclass
class Speculation:
    """Speech-to-text started on a pause, before anyone knows the turn is over. Its transcript is
    used only if the turn-taker says it covers the turn (`Respond.speculated`); nothing is said before
    the endpoint confirms."""

    end: int  # the last voiced sample it covers
    task: asyncio.Task  # -> (the transcript, seconds it took)


class AudioHistory:
    """The most recent input audio, addressed by sample position in the whole stream."""

    def __init__(self, rate: int, seconds: int = HISTORY_SECONDS):
        self.rate = rate
        self._limit = rate * seconds * 2
        self._buffer = bytearray()
        self._start = 0  # stream position of the first sample in the buffer
        self.end = 0  # stream position one past the last sample

    def append(self, chunk: AudioChunk) -> None:
        self._buffer += chunk.audio
        self.end += chunk.samples
        excess = len(self._buffer) - self._limit
        if excess > 0:
            del self._buffer[:excess]
            self._start += excess // 2

    def slice(self, start: int, end: int) -> AudioChunk:
        start, end = max(start, self._start), min(end, self.end)
        return AudioChunk(bytes(self._buffer[(start - self._start) * 2 : (end - self._start) * 2]))


@dataclass
class Arrivals:
    """When each input chunk arrived, to turn a sample position into a moment in time."""

    rate: int
    _log: deque = field(default_factory=lambda: deque(maxlen=3000))

    def record(self, end_sample: int, arrived: float) -> None:
        self._log.append((end_sample, arrived))

    def time_of(self, sample: int) -> float:
        """The moment `sample` was captured: its chunk's arrival less the audio after it."""
        for end_sample, arrived in self._log:
            if end_sample >= sample:
                return arrived - (end_sample - sample) / self.rate
        end_sample, arrived = self._log[-1]
        return arrived


class Session:
    """Runs a conversation from `source` to `speaker` until the source ends or the call does.

    `streaming=False` gives the naive baseline: wait for the whole reply text, synthesize all of
    it, then play it.
    """

    def __init__(
        self,
        config: PipelineConfig,
        engines: Engines,
        brain: Brain,
        source: AudioSource,
        speaker: AudioSink,
        on_event: Callable[[SessionEvent], None] = lambda event: None,
        streaming: bool = True,
        hang_up: bool = True,
    ):
        self.config = config
        self.engines = engines
        self.brain = brain
        self.source = source
        self.speaker = speaker
        self.on_event = on_event
        self.streaming = streaming
        self.hang_up = hang_up  # end the session once the brain has ended the call and its last words played
        self._capture_task: asyncio.Task | None = None
        self.farewell_said = False  # the server ended the call (it is going away), not the caller or the brain
        rate = config.audio.sample_rate
        self.turns = TurnTaker(config.vad, speculate=streaming, barge_in=config.session.barge_in, rate=rate)
        self._speculation: Speculation | None = None  # the latest speculative transcription
        self.history: list[Turn] = []
        self.dropped_chunks = 0
        self._audio = AudioHistory(rate)
        self._arrivals = Arrivals(rate)
        self._reply: ReplyRun | None = None
        self._tasks: set[asyncio.Task] = set()

    async def run(self) -> list[Turn]:
        """Greet, listen until the source ends, then let the last reply finish playing."""
        queue = DropOldestQueue(self.config.audio.input_queue_chunks)
        self.on_event(StateEvent("listening"))
        self._greet()
        try:
            async with asyncio.TaskGroup() as group:
                self._capture_task = group.create_task(self._capture(queue))
                await self._listen(queue)
        except BaseException:
            await self._barge_in(self._reply)  # the source failed or we were cancelled: stop talking, keep what was heard
            raise
        finally:
            self.turns.input_over()  # a late transcript ends nothing
            self._speculation = None
        if self._tasks:
            await asyncio.wait(list(self._tasks))
        if self._reply is not None:
            await asyncio.wait([self._reply.task])
        while self.speaker.busy():
            await asyncio.sleep(0.02)
        return self.history

    async def _capture(self, queue: DropOldestQueue) -> None:
        """Source to queue; live audio never waits, so when processing lags the oldest is dropped."""
        loop = asyncio.get_running_loop()
        try:
            async with aclosing(self.source.chunks()) as chunks:
                async for chunk in chunks:
                    if queue.put(chunk, loop.time()):
                        self.dropped_chunks += 1
                        self.on_event(AudioDroppedEvent(self.dropped_chunks))
        finally:
            queue.close()

    async def _listen(self, queue: DropOldestQueue) -> None:
        while True:
            try:
                chunk, arrived = await queue.get()
            except QueueClosed:
                return
            self._audio.append(chunk)
            self._arrivals.record(self._audio.end, arrived)
            heard = AudioChunk(bytes(len(chunk.audio)), chunk.format) if chunk.echo else chunk  # echo is quiet
            for event in self.turns.listen(heard, self._audio.end):
                await self._decide(event)
            self._settle_if_heard(arrived)

    async def _decide(self, event: TurnInput) -> None:
        for action in self.turns.take(event, self._agent_talking()):
            if isinstance(action, StopReply):
                run = self._reply
                await self._stop(run, self._took_back(run, action))  # before the next event is decided: Parley has stopped
            else:
                self._act(action)

    def _act(self, action: TurnAction) -> None:
        """Carry out what the turn-taker decided; a barge-in decided here (in a callback) runs as a task."""
        getattr(self, CARRY_OUT[type(action)])(action)

    def _started(self, action: Started) -> None:
        self.on_event(SpeechStartedEvent(action.sample))
        self.on_event(StateEvent("hearing"))

    def _cut_in(self, action: StopReply) -> None:
        run = self._reply  # the one playing now; taken back (or not) before the actions that follow are carried out
        self._background(self._stop(run, self._took_back(run, action)))

    def _duck(self, action: SetGain) -> None:
        self.speaker.duck(action.gain)

    def _pause_heard(self, action: PauseHeard) -> None:
        self.brain.pause_heard(action.ms)

    def _partial(self, action: Partial) -> None:
        self.on_event(PartialTranscriptEvent(action.text))

    # --- speculation: work starts on the pause, the reply waits for the endpoint ----------------

    def _speculate(self, span: Transcribe) -> None:
        audio = self._turn_audio(span.start, span.end)
        listening = self.brain.listening()
        stale = lambda: not self.turns.wants(span.end)  # noqa: E731 - the caller spoke on and paused again
        task = asyncio.create_task(self.engines.stt_queue.transcribe(audio, listening, speculative=True, stale=stale))
        speculation = Speculation(span.end, task)
        self._speculation = speculation
        task.add_done_callback(lambda _: self._transcribed(speculation))

    def _transcribed(self, speculation: Speculation) -> None:
        task = speculation.task
        text = None if task.cancelled() or task.exception() is not None else task.result().text
        for action in self.turns.take(Transcribed(speculation.end, text, self.brain.listening()), self._agent_talking()):
            self._act(action)

    def _backchanneled(self, action: LetReplyRun) -> None:
        """"Mhm" over Parley: no turn (the turn-taker forgot it), kept in memory as what it was."""
        self._speculation = None
        self.brain.backchannel_heard(action.text)
        self.on_event(BackchannelEvent(action.text))
        if not self._agent_talking():
            self.on_event(StateEvent("listening"))

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)  # held until done: a task nobody holds can be collected mid-way
        task.add_done_callback(self._tasks.discard)

    def _turn_audio(self, start: int, end: int) -> AudioChunk:
        preroll = self.config.vad.preroll_ms * self.config.audio.sample_rate // 1000
        # Padded on both sides: the VAD starts late on a soft onset and ends early on a fading "s".
        return squeeze_pauses(self._audio.slice(start - preroll, end + preroll))

    # --- the reply --------------------------------------------------------------------------

    async def farewell(self, audio: list[AudioChunk]) -> None:
        """The server is going away: stop the reply in progress (keeping what was heard), say `audio`,
        and end the call; `run` returns once it has been played. Nothing said meanwhile is answered."""
        self.farewell_said = True
        await self._barge_in(self._reply)
        for chunk in audio:
            await self.speaker.play(chunk)
        if self._capture_task:
            self._capture_task.cancel()

    async def line_dropped(self) -> None:
        """The caller's connection dropped: the reply stops where they last heard it (kept as heard,
        not said again); the call waits for them to come back."""
        await self._barge_in(self._reply)

    def _respond(self, turn: Respond) -> None:
        if self.farewell_said:
            return
        speculation, self._speculation = self._speculation, None
        speculated = turn.speculated and speculation is not None  # the turn-taker knows it covers the turn
        start, earlier = turn.start, self._reply
        if earlier is not None and not earlier.settled:
            self._went_on_from(earlier, turn.takes_back)
        if not self._withdraw_s:
            self.turns.reply_stood(start)
        self.on_event(EndpointEvent(start, turn.end))
        self.on_event(StateEvent("thinking"))
        audio = self._turn_audio(start, turn.end)
        last_speech = self._arrivals.time_of(turn.end)
        previous = self._reply.task if self._reply else None
        run = ReplyRun(audio=audio, last_speech_at=last_speech, spoken=SpokenReply(),
                       transcript=speculation.task if speculated and speculation else None, turn_start=start)
        run.task = asyncio.create_task(self._reply_after(previous, run))
        self._reply = run

    def typed(self, text: str) -> None:
        """A turn the caller typed (keypad digits and hash): it cuts in like speech, and is answered
        like a spoken turn whose transcript is `text`."""
        self._background(self._answer_typed(text))

    async def _answer_typed(self, text: str) -> None:
        await self._barge_in(self._reply)
        loop = asyncio.get_running_loop()
        transcript: asyncio.Future = loop.create_future()
        transcript.set_result(SttResult(text, 0.0))
        run = ReplyRun(audio=AudioChunk(b""), last_speech_at=loop.time(), spoken=SpokenReply(), transcript=transcript)
        run.task = asyncio.create_task(self._reply_after(None, run))
        self._reply = run

    async def _reply_after(self, previous: asyncio.Task | None, run: ReplyRun) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # without barge-in, replies queue up instead of overlapping
        try:
            await speak_reply(run, self.engines, self.brain, self.speaker, self.history, self.on_event, self.streaming)
        except Exception as error:  # one failed turn must not end the conversation
            log.warning("turn failed: %r", error, exc_info=log.isEnabledFor(logging.DEBUG))
            self.on_event(TurnFailedEvent(f"{type(error).__name__}: {error}"))
        await self._played_out(run)

    async def _played_out(self, run: ReplyRun) -> None:
        """Once the reply has been heard to its end: tell the brain, and listen again."""
        while self.speaker.busy():
            await asyncio.sleep(0.02)
        self._heard(run)
        if self._reply is not run:
            return
        if self.hang_up and self.brain.ended and self._capture_task:
            self._capture_task.cancel()  # the input ends here; what was captured is still heard out
        elif not self.turns.in_speech:
            self.on_event(StateEvent("listening"))

    def _heard(self, run: ReplyRun) -> None:
        """Tell the brain, once, what of its reply was played (all of it, or up to a barge-in)."""
        turn = run.agent_turn
        if not self.turns.overlapping:  # else the turn that speech becomes decides: taken back, or it stands
            self._settle(run)
        if turn is not None and not run.heard_told:
            run.heard_told = True
            trace = dataclasses.asdict(turn.trace) if turn.trace else None
            self.brain.reply_heard(turn.text, turn.heard, turn.interrupted, trace)

    def _greet(self) -> None:
        greeting = self.brain.greeting()
        if greeting:
            run = ReplyRun(audio=AudioChunk(b""), last_speech_at=asyncio.get_running_loop().time(), spoken=SpokenReply())
            run.task = asyncio.create_task(self._say_greeting(run, greeting))
            self._reply = run

    async def _say_greeting(self, run: ReplyRun, greeting: str) -> None:
        await speak_greeting(run, greeting, self.engines.tts, self.speaker, self.history, self.on_event)
        await self._played_out(run)

    def _agent_talking(self) -> bool:
        return (self._reply is not None and not self._reply.task.done()) or self.speaker.busy()

    # --- the caller speaks over a reply: taken back, or stopped where heard ----------------------

    def _settle_if_heard(self, now: float) -> None:
        """A reply that has played `withdraw_ms` with no one speaking over it stands: the brain may do what it held."""
        run = self._reply
        began = run.marks.get("first_audio") if run else None
        if run and began is not None and now - began >= self._withdraw_s and not self.turns.overlapping:
            self._settle(run)

    def _settle(self, run: ReplyRun) -> None:
        if not run.settled and run.turn_start is not None:
            run.settled = True
            self.brain.settle()
            self.turns.reply_stood(run.turn_start)

    @property
    def _withdraw_s(self) -> float:
        return self.config.session.withdraw_ms / 1000

    def _went_on_from(self, earlier: ReplyRun, takes_back: bool) -> None:
        """A turn begun over the first moments of a reply that played out meanwhile goes on from the turn
        that reply answered: the reply is taken back. Any other turn lets the reply before it stand."""
        if takes_back and self.brain.withdraw():
            earlier.settled = True
            self._taken_back(earlier)
        else:
            self._settle(earlier)

    def _took_back(self, run: ReplyRun | None, stop: StopReply) -> bool:
        """A reply the caller spoke over before it had played `withdraw_ms` (the turn-taker's call): the
        brain takes the turn back, or never had it. Done at once, before the actions that follow."""
        if run is None or not stop.take_back or run.task.done():
            return False
        # No text yet: the brain has nothing of it. A brain that cannot take its turn back (a satellite's,
        # over the link) gets a barge-in, and the whole turn, first part again, from the turn-taker.
        taken = self.brain.withdraw() or "first_text" not in run.marks
        if taken:
            run.settled = True
            run.task.cancel()
        return taken

    async def _stop(self, run: ReplyRun | None, taken_back: bool) -> None:
        if not taken_back:
            await self._barge_in(run)
            return
        assert run is not None, "only a reply is taken back"
        await asyncio.wait([run.task])
        self._taken_back(run)

    def _taken_back(self, run: ReplyRun) -> None:
        """Only what was heard of a withdrawn reply is kept; the caller's turn goes, to be answered whole."""
        dropped = self.speaker.flush()
        self.speaker.duck(1.0)
        if run.user_turn in self.history:
            self.history.remove(run.user_turn)
        heard = ""
        if run.agent_turn is not None:
            heard = run.agent_turn.heard = run.spoken.heard(run.spoken.seconds - dropped)
            run.agent_turn.interrupted = run.agent_turn.withdrawn = True
        self.on_event(BargeInEvent(heard, dropped, withdrawn=True))
        self._heard(run)

    async def _barge_in(self, run: ReplyRun | None) -> None:
        """Stop the reply, drop the unplayed audio, and keep only what the user heard."""
        if run is not None and not run.task.done():
            self.turns.reply_cut(run.turn_start, transcript_read="stt" in run.marks)
            run.task.cancel()
            await asyncio.wait([run.task])
        dropped = self.speaker.flush()
        self.speaker.duck(1.0)  # what was ducked is gone; the next reply is heard in full
        if run is None or run.agent_turn is None or run.heard_told:
            return
        run.agent_turn.heard = run.spoken.heard(run.spoken.seconds - dropped)
        run.agent_turn.interrupted = True
        self.on_event(BargeInEvent(run.agent_turn.heard, dropped))
        self._heard(run)


# What the session does for each of the turn-taker's actions (a barge-in decided as audio comes in is awaited
# in `_decide` instead, so that Parley has stopped before the next event is decided).
CARRY_OUT: dict[type, str] = {
    Started: "_started",
    StopReply: "_cut_in",
    SetGain: "_duck",
    LetReplyRun: "_backchanneled",
    Transcribe: "_speculate",
    Respond: "_respond",
    PauseHeard: "_pause_heard",
    Partial: "_partial",
}
