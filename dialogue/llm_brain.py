"""The LLM brain: a model behind any OpenAI-compatible endpoint reads each turn; the manager still decides.

The model never writes a booking. It reads the caller's words through one tool, `interpret`, whose
arguments become an `Understanding` for the same dialogue manager the embedded brain uses, so every
check (opening hours, free tables, confirmation before commit) still applies. When the caller goes off
the subject the model may answer in a sentence or two, streamed as it is written. Whatever goes wrong
within the turn's deadline (an error, a timeout, an answer that is not usable) the turn goes on with
the embedded understanding, and nothing broken is said.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Awaitable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from openai import AsyncOpenAI, OpenAIError
from openai.types.chat import (
    ChatCompletionChunk,
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageParam,
    ChatCompletionNamedToolChoiceParam,
)

from parley.dialogue.moves import AsideAnswered, Say, UserSaid
from parley.dialogue.nlu import NAME_STOP, Clock, Understanding, name_from_words, normalize, understand
from parley.dialogue.reservation_brain import ReservationBrain
from parley.dialogue.turn_end import Listening
from parley.dialogue.types import Booking, BookingStore

T = TypeVar("T")

log = logging.getLogger(__name__)

INTENTS = ("book", "change", "cancel", "check", "hours", "address", "greeting", "goodbye", "thanks",
           "yes", "no", "help", "repeat", "details", "other")
INTERPRET: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {
        "name": "interpret",
        "description": "Record what the caller just said to the restaurant's reservation line.",
        "parameters": {
            "type": "object",
            "properties": {
                "intent": {"type": "string", "enum": list(INTENTS),
                           "description": "details: the caller only gave booking details; other: off the subject"},
                "party_size": {"type": "integer", "minimum": 1, "maximum": 99, "description": "how many people"},
                "date": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "YYYY-MM-DD"},
                "time": {"type": "string", "pattern": "^[0-9]{2}:[0-9]{2}$", "description": "HH:MM, 24-hour clock"},
                "name": {"type": "string", "maxLength": 40, "description": "the caller's name"},
                "phone": {"type": "string", "pattern": "^[0-9]{6,15}$", "description": "phone number, digits only"},
                "notes": {"type": "array", "maxItems": 3, "items": {"type": "string", "maxLength": 40},
                          "description": "allergies, a high chair, an occasion"},
            },
            "required": ["intent"],
        },
    },
}
FORCE_INTERPRET: ChatCompletionNamedToolChoiceParam = {"type": "function", "function": {"name": "interpret"}}
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# An aside must not sound like it made, changed or confirmed a booking: only the manager does that.
UNSAFE_ASIDE = re.compile(r"\d|\b(book|reserv|confirm|cancel|table|seat|date|time|clock)", re.IGNORECASE)
MAX_READING_TOKENS = 96  # a full reading fits; a small model rambling on is cut off (and falls back)
# The model fills a gap only where the caller said something of that kind: small models invent values.
CUES = {
    "party_size": re.compile(r"\b(for \d+|\d+ (people|persons?|guests|adults|of us)|people|guests|of us|couple|pair|"
                             r"dozen|myself|alone|family|friends|kids|children|wife|husband|partner)\b"),
    "day": re.compile(r"\b(\d+th|today|tonight|tomorrow|week|weekend|next|this)\b|"
                      r"\b(mon|tues|wednes|thurs|fri|satur|sun)day\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"),
    "time": re.compile(r"\b(at|around|about|by|after|before) \d|\d[:.]\d\d|\d ?(am|pm)\b|"
                       r"\b(noon|midday|midnight|half|quarter|o'clock)\b"),  # "evening" names no time
    "notes": re.compile(r"allerg|intoleran|chair|birthday|anniversary|vegan|vegetarian|gluten|celebrat|pram|dog|access"),
}
PRONOUNS = {"me", "we", "us", "you", "they", "them", "he", "she", "him", "her", "myself"}
MAX_ASIDE_SENTENCES = 2
MAX_SENTENCE_WORDS = 30


class UnusableAnswer(ValueError):
    """The model answered, but not with something the dialogue can use."""


# What a turn survives: API and connection errors (a stream cut mid-way included), the deadline, and
# answers that do not decode or cannot be used (ValueError).
FAILURES = (OpenAIError, TimeoutError, ValueError)


@dataclass(frozen=True)
class Reading:
    """The model's reading of one utterance, every field checked."""

    intent: str
    party_size: int | None = None
    day: date | None = None
    at: time | None = None
    name: str | None = None
    phone: str | None = None
    notes: list[str] = field(default_factory=list)


class LlmBrain:
    """The reservation line with an LLM reading the caller; falls back to the rules within the turn."""

    def __init__(self, reservation: ReservationBrain, client: AsyncOpenAI, model: str, deadline_s: float):
        self.reservation = reservation
        self.client = client
        self.model = model
        self.deadline_s = deadline_s
        self.fallbacks: list[str] = []  # why each fallen-back turn fell back, for logs and tests

    @property
    def ended(self) -> bool:
        return self.reservation.ended

    @property
    def hand_over_to(self) -> str:
        return self.reservation.hand_over_to

    @property
    def made(self) -> list[Booking]:
        return self.reservation.made

    @property
    def store(self) -> BookingStore:
        return self.reservation.store

    @property
    def memory_ms(self) -> list[float]:
        return self.reservation.memory_ms

    @property
    def memory_errors(self) -> list[str]:
        return self.reservation.memory_errors

    def greeting(self) -> str:
        return self.reservation.greeting()

    def listening(self) -> Listening:
        return self.reservation.listening()

    def pause_heard(self, ms: float) -> None:
        self.reservation.pause_heard(ms)

    def reply_heard(self, text: str, heard: str, interrupted: bool = False, trace: dict | None = None) -> None:
        self.reservation.reply_heard(text, heard, interrupted, trace)

    def settle(self) -> None:
        self.reservation.settle()

    def withdraw(self) -> bool:
        return self.reservation.withdraw()

    def line_dropped(self) -> None:
        self.reservation.line_dropped()

    def backchannel_heard(self, text: str) -> None:
        self.reservation.backchannel_heard(text)

    async def record(self, turn: dict, origin: str) -> bool:
        return await self.reservation.record(turn, origin)

    async def close(self) -> None:
        await self.reservation.close()

    async def reply(self, transcript: str) -> AsyncGenerator[str, None]:
        deadline = asyncio.get_running_loop().time() + self.deadline_s
        today = self.reservation.clock().date()
        rules = understand(transcript, today, self.reservation.manager.state.expecting, self.reservation.domain.date_order)
        reading = await self._guarded(self._read(transcript, today), deadline)
        if reading is not None and reading.intent == "other" and not _found_anything(rules):
            said = []
            async for sentence in self._aside(transcript, deadline):
                said.append(sentence)
                yield sentence + " "
            if said:
                back = self.reservation.manager.handle(AsideAnswered(" ".join(said)), self.reservation.clock())
                yield " ".join(action.text for action in back if isinstance(action, Say)) + " "
                return
        meaning = merge(rules, reading, transcript) if reading else None
        async for part in self.reservation.respond(UserSaid(transcript, meaning)):
            yield part

    async def _guarded(self, work: Awaitable[T], deadline: float) -> T | None:
        """`work`'s result, or None (and the reason noted) on an error or past the deadline."""
        try:
            async with asyncio.timeout_at(deadline):
                return await work
        except FAILURES as error:
            self._fell_back(error)
            return None

    async def _read(self, transcript: str, today: date) -> Reading:
        stream = await self.client.chat.completions.create(
            model=self.model, messages=self._messages(transcript, today), tools=[INTERPRET],
            tool_choice=FORCE_INTERPRET, stream=True, temperature=0, max_tokens=MAX_READING_TOKENS,
        )
        arguments, content = [], []
        async with stream:
            async for chunk in stream:
                delta = chunk.choices[0].delta if chunk.choices else None
                for call in (delta.tool_calls or []) if delta else []:
                    if call.function and call.function.arguments:
                        arguments.append(call.function.arguments)
                if delta and delta.content:
                    content.append(delta.content)  # some servers put the arguments in the text
        return parse_reading("".join(arguments) or "".join(content), today)

    def _messages(self, transcript: str, today: date) -> list[ChatCompletionMessageParam]:
        manager = self.reservation.manager
        system = (
            f"You read what callers say to the reservation line of {self.reservation.domain.name}. "
            f"Today is {today.strftime('%A')} {today.isoformat()}. "
            f"The line last said: \"{manager.state.last_said or self.greeting()}\" "
            "Call interpret with the caller's intent and only the details they actually gave."
        )
        return [{"role": "system", "content": system}, {"role": "user", "content": transcript}]

    async def _aside(self, transcript: str, deadline: float) -> AsyncIterator[str]:
        """A short streamed answer to an off-subject question; stops quietly at the first problem."""
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": (
                f"You answer the phone at {self.reservation.domain.name}, a restaurant. The caller asked something "
                "off the subject. Answer kindly in one short sentence, without promising anything.")},
            {"role": "user", "content": transcript},
        ]
        loop = asyncio.get_running_loop()
        try:
            stream = await asyncio.wait_for(self.client.chat.completions.create(
                model=self.model, messages=messages, stream=True, temperature=0.3, max_tokens=60,
            ), deadline - loop.time())
            async with stream:
                sentences = _sentences(stream)
                for _ in range(MAX_ASIDE_SENTENCES):
                    sentence = await asyncio.wait_for(anext(sentences, None), deadline - loop.time())
                    if sentence is None:
                        return
                    if UNSAFE_ASIDE.search(sentence) or len(sentence.split()) > MAX_SENTENCE_WORDS:
                        raise UnusableAnswer(f"aside not safe to say: {sentence!r}")
                    yield sentence
        except FAILURES as error:
            self._fell_back(error)

    def _fell_back(self, error: Exception) -> None:
        reason = f"{type(error).__name__}: {error}".strip().rstrip(":")
        self.fallbacks.append(reason)
        log.warning("LLM brain fell back to the embedded understanding: %s", reason)


async def _sentences(stream: AsyncIterable[ChatCompletionChunk]) -> AsyncIterator[str]:
    """Whole sentences from a streamed chat completion, as soon as each one ends."""
    pending = ""
    async for chunk in stream:
        pending += (chunk.choices[0].delta.content or "") if chunk.choices else ""
        *done, pending = SENTENCE_END.split(pending)
        for sentence in done:
            if sentence.strip():
                yield sentence.strip()
    if re.search(r"[.!?]$", pending.strip()):
        yield pending.strip()  # an unfinished last sentence was cut off by max_tokens: never say it


def parse_reading(arguments: str, today: date) -> Reading:
    """The model's tool arguments as a `Reading`; bad JSON or intent is unusable, a bad detail is dropped."""
    try:
        values = json.loads(arguments)
    except json.JSONDecodeError as error:
        raise UnusableAnswer(f"not JSON: {arguments[:80]!r}") from error
    if not isinstance(values, dict) or values.get("intent") not in INTENTS:
        raise UnusableAnswer(f"no known intent in {arguments[:80]!r}")
    size = values.get("party_size")
    notes = values.get("notes")
    return Reading(
        intent=values["intent"],
        party_size=size if isinstance(size, int) and 1 <= size <= 100 else None,
        day=_day(values.get("date"), today),
        at=_time(values.get("time")),
        name=values["name"].strip() if isinstance(values.get("name"), str) and values["name"].strip() else None,
        phone=_phone(values.get("phone")),
        notes=[n.strip() for n in notes if isinstance(n, str) and 0 < len(n.strip()) <= 40] if isinstance(notes, list) else [],
    )


def merge(rules: Understanding, reading: Reading, transcript: str) -> Understanding:
    """The rules' precise findings, with gaps filled from the model's reading where it is grounded.

    The model's intent counts only when the rules found nothing at all in the utterance, and each
    detail only where the rules found none and the caller said something of that kind.
    """
    heard = set(re.findall(r"[a-z']+", transcript.lower()))
    words = normalize(transcript)
    said = {slot: bool(cue.search(words)) for slot, cue in CUES.items()}
    intents = rules.intents
    if not _found_anything(rules) and reading.intent != "details":
        intents = [reading.intent]
    name = name_from_words(reading.name) if reading.name else None  # a name, never a date or a number
    name = name if name and _grounded(name, heard) and not _common(name) else None
    phone = reading.phone if reading.phone and reading.phone in re.sub(r"\D", "", words) else None
    clock = None
    if reading.at:  # "07:30" from "seven thirty" may mean the evening: let the manager pick the open one
        clock = Clock(reading.at.hour, reading.at.minute, "pm" if reading.at.hour >= 12 else None)
    notes = [n for n in reading.notes if said["notes"] and n not in rules.notes and _grounded(n, heard)]
    return Understanding(
        text=transcript,
        intents=intents,
        party_size=rules.party_size or (reading.party_size if said["party_size"] else None),
        day=rules.day or (reading.day if said["day"] else None),
        clock=rules.clock or (clock if said["time"] else None),
        name=rules.name or name,
        phone=rules.phone or phone,
        notes=rules.notes + notes,
        bare_number=rules.bare_number,
        act=rules.act,
    )


def _grounded(value: str, heard: set[str]) -> bool:
    """Every word of `value` was said: a small model must not put words in the caller's mouth."""
    words = re.findall(r"[a-z']+", value.lower())
    return bool(words) and all(word in heard for word in words)


def _common(name: str) -> bool:
    return any(word in NAME_STOP or word in PRONOUNS for word in name.lower().split())


def _found_anything(u: Understanding) -> bool:
    return bool(u.intents or u.party_size or u.day or u.clock or u.name or u.phone or u.notes or u.bare_number)


def _day(value: object, today: date) -> date | None:
    try:
        day = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return day if day and today <= day <= today + timedelta(days=366) else None


def _time(value: object) -> time | None:
    try:
        return datetime.strptime(value.strip(), "%H:%M").time() if isinstance(value, str) else None
    except ValueError:
        return None


def _phone(value: object) -> str | None:
    digits = re.sub(r"\D", "", str(value)) if isinstance(value, (str, int)) else ""
    return digits if 6 <= len(digits) <= 15 else None
