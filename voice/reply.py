"""One reply: transcribe the turn, stream the brain's text into speech, and time every stage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Iterator
from contextlib import aclosing
from dataclasses import dataclass, field

from parley.dialogue.brain import Brain
from parley.dialogue.turn_end import Listening
from parley.voice.audio import AudioChunk
from parley.voice.events import (
    AgentTextEvent,
    SessionEvent,
    SpokenPiece,
    SpokenReply,
    StateEvent,
    TranscriptEvent,
    Turn,
    TurnLatencyEvent,
    TurnTrace,
)
from parley.voice.speakable import SpeakableSplitter, speakable_pieces
from parley.voice.streams import AudioSink
from parley.voice.stt import SpeechToText
from parley.voice.stt_queue import SttQueue, SttResult
from parley.voice.tts import TextToSpeech


@dataclass
class Engines:
    """The loaded models, shared by every session of a process, and the one queue to speech-to-text."""

    stt: SpeechToText
    tts: TextToSpeech
    stt_queue: SttQueue = field(init=False)

    def __post_init__(self) -> None:
        self.stt_queue = SttQueue(self.stt)


@dataclass
class ReplyRun:
    """One turn's reply as it runs: its input, its task, and what it has said so far."""

    audio: AudioChunk
    last_speech_at: float  # loop time of the user's last speech sample
    spoken: SpokenReply
    transcript: asyncio.Future | None = None  # -> SttResult: speculative STT of exactly this audio, or typed text
    turn_start: int | None = None  # the user turn's first sample; None for a greeting
    task: asyncio.Task = field(init=False)  # set as soon as the run is made: the task needs the run
    user_turn: Turn | None = None
    agent_turn: Turn | None = None
    settled: bool = False  # the brain was told the reply stands (or it was taken back)
    heard_told: bool = False  # the brain has been told what the user heard of it (once, when final)
    marks: dict[str, float] = field(default_factory=dict)


async def iterate_in_thread(iterator: Iterator) -> AsyncGenerator:
    """Pull a blocking iterator one item per thread hop, so a cancel lands between items."""
    done = object()
    while (item := await asyncio.to_thread(next, iterator, done)) is not done:
        yield item


async def speak_reply(
    run: ReplyRun,
    engines: Engines,
    brain: Brain,
    speaker: AudioSink,
    history: list[Turn],
    on_event: Callable[[SessionEvent], None],
    streaming: bool = True,
) -> None:
    loop = asyncio.get_running_loop()
    run.marks["endpoint"] = loop.time()
    text = await _transcript(run, engines, brain.listening())
    run.marks["stt"] = loop.time()
    if not text:
        return
    run.user_turn = Turn("user", text, heard=text)
    history.append(run.user_turn)
    on_event(TranscriptEvent(text))
    try:
        say = _say_streaming if streaming else _say_whole
        await say(run, text, engines.tts, brain, speaker, on_event)
    finally:
        _record(run, history)


async def _transcript(run: ReplyRun, engines: Engines, listening: Listening) -> str:
    """The speculative transcript when one was taken of this very turn (often done already)."""
    if run.transcript is not None:
        try:
            heard: SttResult = await run.transcript
            run.marks["stt_compute"], run.marks["speculated"] = heard.compute_seconds, 1.0
            return heard.text
        except Exception:  # noqa: BLE001 - a failed or shed speculation is done the ordinary way
            pass
    heard = await engines.stt_queue.transcribe(run.audio, listening)
    run.marks["stt_compute"], run.marks["stt_wait"] = heard.compute_seconds, heard.wait_seconds
    return heard.text


async def speak_greeting(run: ReplyRun, text: str, tts: TextToSpeech, speaker: AudioSink,
                         history: list[Turn], on_event: Callable[[SessionEvent], None]) -> None:
    """The call's opening line: spoken like a reply, but with no user turn to time."""
    try:
        for piece in speakable_pieces(text):
            await _say_piece(run, piece, tts, speaker, on_event)
    finally:
        _record(run, history)


def _record(run: ReplyRun, history: list[Turn]) -> None:
    if run.spoken.pieces:
        spoken = run.spoken.text
        run.agent_turn = Turn("agent", spoken, heard=spoken, trace=_trace(run))
        history.append(run.agent_turn)


async def _say_streaming(run: ReplyRun, text: str, tts: TextToSpeech, brain: Brain,
                         speaker: AudioSink, on_event: Callable[[SessionEvent], None]) -> None:
    """Each piece goes to synthesis as soon as the splitter completes it."""
    splitter = SpeakableSplitter()
    async with aclosing(brain.reply(text)) as stream:
        async for part in stream:
            run.marks.setdefault("first_text", asyncio.get_running_loop().time())
            for piece in splitter.feed(part):
                await _say_piece(run, piece, tts, speaker, on_event)
    for piece in splitter.finish():
        await _say_piece(run, piece, tts, speaker, on_event)


async def _say_piece(run: ReplyRun, piece: str, tts: TextToSpeech, speaker: AudioSink,
                     on_event: Callable[[SessionEvent], None]) -> None:
    on_event(AgentTextEvent(piece))
    spoken = SpokenPiece(piece)
    run.spoken.pieces.append(spoken)
    async with aclosing(iterate_in_thread(tts.synthesize(piece))) as chunks:
        async for chunk in chunks:
            spoken.seconds += chunk.seconds  # counted before play() awaits: a sink takes the chunk at once
            await _play(run, chunk, speaker, on_event)


async def _say_whole(run: ReplyRun, text: str, tts: TextToSpeech, brain: Brain,
                     speaker: AudioSink, on_event: Callable[[SessionEvent], None]) -> None:
    """The naive baseline: the whole reply text, then all of its audio, then playback."""
    async with aclosing(brain.reply(text)) as stream:
        reply = "".join([part async for part in stream]).strip()
    run.marks["first_text"] = asyncio.get_running_loop().time()
    on_event(AgentTextEvent(reply))
    spoken = SpokenPiece(reply)
    run.spoken.pieces.append(spoken)
    chunks = await asyncio.to_thread(lambda: list(tts.synthesize(reply)))
    for chunk in chunks:
        spoken.seconds += chunk.seconds
        await _play(run, chunk, speaker, on_event)


async def _play(run: ReplyRun, chunk: AudioChunk, speaker: AudioSink, on_event: Callable[[SessionEvent], None]) -> None:
    if "first_audio" not in run.marks:
        run.marks["first_audio"] = asyncio.get_running_loop().time()
        if trace := _trace(run):  # a greeting has no turn to time
            on_event(TurnLatencyEvent(trace))
        on_event(StateEvent("speaking"))
    await speaker.play(chunk)


def _trace(run: ReplyRun) -> TurnTrace | None:
    marks = run.marks
    if "first_audio" not in marks or "stt" not in marks:
        return None

    def ms(start: float, end: float) -> float:
        return round((end - start) * 1000, 1)

    return TurnTrace(
        endpoint_wait_ms=ms(run.last_speech_at, marks["endpoint"]),
        stt_ms=ms(marks["endpoint"], marks["stt"]),
        dialogue_ms=ms(marks["stt"], marks["first_text"]),
        tts_ms=ms(marks["first_text"], marks["first_audio"]),
        total_ms=ms(run.last_speech_at, marks["first_audio"]),
        speech_seconds=round(run.audio.seconds, 3),
        stt_compute_ms=round(marks.get("stt_compute", 0.0) * 1000, 1),
        stt_wait_ms=round(marks.get("stt_wait", 0.0) * 1000, 1),
        speculated="speculated" in marks,
    )

