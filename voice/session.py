"""One conversation: listening tasks, endpointing, and one cancellable reply task per turn."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import deque
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass, field

from dialogue.brain import Brain
from dialogue.turn_end import Listening, sounds_finished
from voice.audio import AudioChunk
from voice.config import Config
from voice.events import (
    AudioDroppedEvent,
    BargeInEvent,
    EndpointEvent,
    Event,
    PartialTranscriptEvent,
    SpeechStartedEvent,
    SpokenReply,
    StateEvent,
    Turn,
    TurnFailedEvent,
)
from voice.queues import DropOldestQueue, QueueClosed
from voice.reply import Engines, ReplyRun, speak_greeting, speak_reply, timed_transcribe
from voice.streams import AudioSink, AudioSource
from voice.vad import (
    Endpointer,
    SpeechEnded,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
)

log = logging.getLogger(__name__)

HISTORY_SECONDS = 60  # input audio kept for the turn being spoken; longer turns are cut
WAIT_SCALE = {"yes_no": 0.6, "name": 1.5}  # a yes needs little thought; a spelled name has gaps


@dataclass
class Speculation:
    """Speech-to-text started on a pause, before anyone knows the turn is over. Its transcript is
    used only if the turn ends where it was taken; nothing is said before the endpoint confirms."""

    start: int
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
        config: Config,
        engines: Engines,
        brain: Brain,
        source: AudioSource,
        speaker: AudioSink,
        on_event: Callable[[Event], None] = lambda event: None,
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
        rate = config.audio.sample_rate
        # Without speculation (the naive baseline) every turn waits end_silence_ms; with it, a turn
        # waits as long as an unfinished one might, until its transcript says otherwise.
        self.endpointer = Endpointer(config.vad, rate, default_wait_ms=config.vad.unfinished_wait_ms if streaming else None)
        self._speculation: Speculation | None = None
        self._waiting_pause: SpeechPaused | None = None  # a pause whose STT waits for the running one
        self.history: list[Turn] = []
        self.dropped_chunks = 0
        self._audio = AudioHistory(rate)
        self._arrivals = Arrivals(rate)
        self._reply: ReplyRun | None = None

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
            await self._barge_in()  # the source failed or we were cancelled: stop talking, keep what was heard
            raise
        finally:
            self._speculation = self._waiting_pause = None  # the input is over: a late transcript ends nothing
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
            for event in self.endpointer.feed(heard):
                if isinstance(event, SpeechStarted):
                    await self._on_speech_started(event)
                elif isinstance(event, SpeechPaused):
                    self._on_pause(event)
                elif isinstance(event, SpeechResumed):
                    self._on_resume(event)
                else:
                    self._on_speech_ended(event)

    async def _on_speech_started(self, event: SpeechStarted) -> None:
        self.on_event(SpeechStartedEvent(event.sample))
        self.on_event(StateEvent("hearing"))
        if self.config.session.barge_in and self._agent_talking():
            await self._barge_in()

    # --- speculation: work starts on the pause, the reply waits for the endpoint ----------------

    def _on_pause(self, event: SpeechPaused) -> None:
        if not self.streaming:
            return
        if self._speculation is not None and not self._speculation.task.done():
            self._waiting_pause = event  # one STT at a time, or both run at half speed
            return
        self._speculate(event)

    def _speculate(self, event: SpeechPaused) -> None:
        audio = self._turn_audio(event.start, event.end)
        task = asyncio.create_task(asyncio.to_thread(timed_transcribe, self.engines.stt, audio))
        speculation = Speculation(event.start, event.end, task)
        self._speculation = speculation
        task.add_done_callback(lambda _: self._judge(speculation))

    def _on_resume(self, event: SpeechResumed) -> None:
        self._waiting_pause = None
        self.brain.pause_heard(event.pause_ms)

    def _judge(self, speculation: Speculation) -> None:
        """The speculative transcript is in: does the turn sound finished? Then wait less."""
        waiting, self._waiting_pause = self._waiting_pause, None
        if waiting is not None and waiting.end > speculation.end:
            self._speculate(waiting)  # the user spoke on and paused again meanwhile
            return
        current = speculation is self._speculation and self.endpointer.last_voiced_end == speculation.end
        current = current and self.endpointer.in_speech
        if not current or speculation.task.cancelled() or speculation.task.exception() is not None:
            return
        listening = self.brain.listening()
        text, _seconds = speculation.task.result()
        if text:
            self.on_event(PartialTranscriptEvent(text))
        finished = sounds_finished(text, listening.expect)
        ended = self.endpointer.wait(self._wait_ms(finished, listening))
        if ended is not None:
            self._on_speech_ended(ended)

    def _wait_ms(self, finished: bool, listening: Listening) -> int:
        vad = self.config.vad
        if not finished:
            return vad.unfinished_wait_ms
        wait = vad.finished_wait_ms * WAIT_SCALE.get(listening.expect, 1.0)
        if listening.pause_ms:  # this caller is known to pause this long mid-turn: don't cut them off
            wait = max(wait, min(listening.pause_ms + 100, vad.unfinished_wait_ms))
        return int(wait)

    def _turn_audio(self, start: int, end: int) -> AudioChunk:
        preroll = self.config.vad.preroll_ms * self.config.audio.sample_rate // 1000
        # Padded on both sides: the VAD starts late on a soft onset and ends early on a fading "s".
        return self._audio.slice(start - preroll, end + preroll)

    # --- the reply --------------------------------------------------------------------------

    def _on_speech_ended(self, event: SpeechEnded) -> None:
        self.on_event(EndpointEvent(event.start, event.end))
        self.on_event(StateEvent("thinking"))
        speculation, self._speculation, self._waiting_pause = self._speculation, None, None
        same_turn = speculation is not None and speculation.end == event.end
        audio = self._turn_audio(event.start, event.end)
        last_speech = self._arrivals.time_of(event.end)
        previous = self._reply.task if self._reply else None
        run = ReplyRun(audio=audio, last_speech_at=last_speech, spoken=SpokenReply(),
                       transcript=speculation.task if same_turn else None)
        run.task = asyncio.create_task(self._reply_after(previous, run))
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
        if self.hang_up and self.brain.ended:
            self._capture_task.cancel()  # the input ends here; what was captured is still heard out
        elif not self.endpointer.in_speech:
            self.on_event(StateEvent("listening"))

    def _heard(self, run: ReplyRun) -> None:
        """Tell the brain, once, what of its reply was played (all of it, or up to a barge-in)."""
        turn = run.agent_turn
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

    async def _barge_in(self) -> None:
        """Stop the reply, drop the unplayed audio, and keep only what the user heard."""
        run = self._reply
        if run is not None and not run.task.done():
            run.task.cancel()
            await asyncio.wait([run.task])
        dropped = self.speaker.flush()
        if run is None or run.agent_turn is None or run.heard_told:
            return
        run.agent_turn.heard = run.spoken.heard(run.spoken.seconds - dropped)
        run.agent_turn.interrupted = True
        self.on_event(BargeInEvent(run.agent_turn.heard, dropped))
        self._heard(run)
