"""`parley bench --hard`: turn-taking against what callers do, in voices that are not Parley's: long
pauses inside turns, "mhm" said over a reply, and real barge-ins."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

import numpy as np

from parley.dialogue.turn_end import Listening
from parley.voice.app.measure.bench import run_pipeline
from parley.voice.app.measure.caller import ScriptedCaller
from parley.voice.app.measure.utterances import Utterance
from parley.voice.app.measure.voices import CallerVoice
from parley.voice.app.settings import Config
from parley.voice.app.wiring import load_engines
from parley.voice.audio import AudioFormat
from parley.voice.events import BargeInEvent, EndpointEvent
from parley.voice.observer import Observer
from parley.voice.reply import Engines
from parley.voice.session import Session
from parley.voice.streams import PacedSpeaker

# "|" is a pause of 500-900 ms where the caller stops to think or reads the next group of digits.
PAUSED_SENTENCES = (
    "My number is five five five | two three four | nine eight seven six.",
    "Um, | a table for four, please.",
    "A table for | four.",
    "I would like to come on | Saturday, | at seven.",
    "The name is | Lena Park.",
    "Can we, um, | make it eight people?",
    "It's oh seven seven | double nine | one two three, | four five six.",
    "For two people | at eight o'clock | on Friday.",
    "Uh, | Thursday.",
    "We are | six.",
    "Could you | cancel my booking | for tomorrow?",
    "My name is | um | Priya Shah.",
)
PAUSE_MS = (500, 900)
# Spelled as the synthesizers can say them: Flite and espeak-ng read "Mm-hmm" and "Uh-huh" as letters
# or words ("M M H M M", "Five five"), which no caller says.
BACKCHANNELS = ("Mm hm.", "Okay.", "Yeah.", "Right.", "Sure.", "I see.")
BARGE_INS = ("Wait, sorry.", "No, that's wrong.", "Sorry, what was that?")
ASK = "Tell me about the restaurant."
# Long enough that a caller says "mhm" in the middle of it, as people do while a booking is read back.
LONG_REPLY = ("Trattoria Sole is on the corner of Harbour Street and Mill Lane. We are open from noon to "
              "ten at night, every day but Monday, and we seat up to forty guests. Tables by the window "
              "go first on Fridays, so book early.")
OVER_AFTER_SECONDS = 1.5  # how far into the reply the caller speaks over it
# espeak-ng says a paused sentence as one (its pauses keep the sentence's intonation going, as a
# person's do); Flite says each part as a sentence of its own, which is harder for an audio model.
VOICES = ("espeak:en-us+f3", "espeak:en-gb+m3", "flite:slt", "flite:rms")


def paused_utterances(engines: Engines, voices: list[CallerVoice], rate: int) -> list[Utterance]:
    """Every paused sentence in every voice, with pauses of 500-900 ms where it has "|"."""
    rng = np.random.default_rng(19)
    utterances = []
    for voice in voices:
        for sentence in PAUSED_SENTENCES:
            parts = sentence.split(" | ")
            pauses = [int(rng.integers(*PAUSE_MS)) for _ in parts[1:]]
            utterances.append(Utterance(voice.speak_paused(engines, parts, pauses, rate), " ".join(parts)))
    return utterances


@dataclass
class ReadingBrain:
    """Answers every turn with the same long reply (a Brain), and notes what it was asked."""

    asked: list[str] = field(default_factory=list)
    backchannels: list[str] = field(default_factory=list)
    ended: bool = False
    hand_over_to: str = ""

    def greeting(self) -> str:
        return ""

    def listening(self) -> Listening:
        return Listening()

    def pause_heard(self, ms: float) -> None:
        pass

    async def reply(self, transcript: str) -> AsyncGenerator[str, None]:
        self.asked.append(transcript)
        for sentence in LONG_REPLY.split(". "):
            yield sentence

    def reply_heard(self, text: str, heard: str, interrupted: bool = False, trace: dict | None = None) -> None:
        pass

    def settle(self) -> None:
        pass

    def withdraw(self) -> bool:
        self.asked.pop()
        return True

    def line_dropped(self) -> None:
        pass  # the bench's line never drops

    def backchannel_heard(self, text: str) -> None:
        self.backchannels.append(text)

    async def close(self) -> None:
        pass


@dataclass
class Overlaps:
    """What speech over a reply did, per kind of line."""

    backchannels: int = 0
    false_barge_ins: int = 0  # a backchannel that stopped Parley
    answered: int = 0  # a backchannel that did not stop Parley but was answered as a turn once it had finished
    barge_ins: int = 0
    caught: int = 0  # a real barge-in that stopped Parley

    def add(self, other: Overlaps) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


class OverlapWatch(Observer):
    """The lines Parley stopped talking over, and the lines that became turns."""

    def __init__(self, caller: ScriptedCaller):
        self.caller = caller
        self.stopped_at: set[int] = set()
        self.turns_at: set[int] = set()

    def barge_in(self, event: BargeInEvent) -> None:
        self.stopped_at.add(self.caller.line_index)

    def endpoint(self, event: EndpointEvent) -> None:
        self.turns_at.add(self.caller.line_at(event.start))


async def overlaps(config: Config, engines: Engines, voice: CallerVoice) -> Overlaps:
    """The caller asks, then speaks a backchannel or a barge-in over each long reply, in one call."""
    rate = config.audio.sample_rate
    said = [*BACKCHANNELS, *BARGE_INS]
    spoken = voice.speak(engines, [ASK, *said], rate)
    lines = [line for over in spoken[1:] for line in (spoken[0], over)]
    speaker = PacedSpeaker(AudioFormat(rate), config.session.playback_ahead_ms / 1000)
    caller = ScriptedCaller(lines, speaker, rate, config.audio.chunk_ms, pause=0.5, noise_level=0.002,
                            cut_in_after=OVER_AFTER_SECONDS, over=set(range(1, len(lines), 2)))
    brain, watch = ReadingBrain(), OverlapWatch(caller)
    stopped_at, turns_at = watch.stopped_at, watch.turns_at
    session = Session(config.pipeline, engines, brain, caller, speaker, watch)
    await session.run()
    result = Overlaps(backchannels=len(BACKCHANNELS), barge_ins=len(BARGE_INS))
    for number, text in enumerate(said):
        line = 2 * number + 1
        if text in BACKCHANNELS:
            result.false_barge_ins += line in stopped_at
            result.answered += line in turns_at and line not in stopped_at
        else:
            result.caught += line in stopped_at
    return result


async def run_hard(config: Config, voice_names: list[str]) -> dict:
    engines = load_engines(config)
    voices = [CallerVoice.parse(name) for name in voice_names]
    # Replies play in real time: a caller who goes on after a pause Parley answered into speaks over
    # that answer, as on a real line (played faster, it would be over before they went on).
    paused = await run_pipeline(config, engines, paused_utterances(engines, voices, config.audio.sample_rate),
                                streaming=True, playback_speed=1.0)
    over = Overlaps()
    for voice in voices:
        over.add(await overlaps(config, engines, voice))
    return {"voices": voice_names, "paused_utterances": len(PAUSED_SENTENCES) * len(voices),
            "false_endpoint_rate": paused["false_endpoint_rate"],
            "answered_in_halves_rate": paused["answered_in_halves_rate"], "withdrawn": paused["withdrawn"],
            "finished_endpoint_wait_ms": paused["finished_endpoint_wait_ms"], "wer": paused["wer"],
            "overlaps": vars(over), "lines": paused["lines"]}


def render(report: dict) -> str:
    over, wait = report["overlaps"], report["finished_endpoint_wait_ms"]
    return "\n".join([
        f"voices: {', '.join(report['voices'])}",
        f"{report['paused_utterances']} turns with pauses of 500-900 ms inside: false endpoints "
        f"{report['false_endpoint_rate']:.1%}, answered in halves {report['answered_in_halves_rate']:.1%} "
        f"({report['withdrawn']} replies taken back); endpoint wait of finished turns p50 {wait['p50']} ms, "
        f"p95 {wait['p95']} ms; word error rate {report['wer']}",
        f"backchannels over a reply: {over['backchannels']}, of which stopped Parley {over['false_barge_ins']}, "
        f"answered as a turn {over['answered']}",
        f"barge-ins over a reply: {over['barge_ins']}, of which stopped Parley {over['caught']}"])


def main(config: Config, voices: list[str] | None, as_json: bool) -> int:
    report = asyncio.run(run_hard(config, voices or list(VOICES)))
    print(json.dumps(report, indent=2) if as_json else render(report))
    return 0
