"""Watching a session from outside: one method per kind of event, each doing nothing until a watcher overrides it.

Every event a session reports (voice/events.py) is a report, never a command: what the session does
(a barge-in, ducking, flushing the speaker) it has already done when the event arrives. A watcher
(metrics, logs, a terminal, a benchmark) subclasses `Observer`, overrides what it cares about, and
is passed as `on_event`."""

from __future__ import annotations

from parley.voice.events import (
    AgentTextEvent,
    AudioDroppedEvent,
    BackchannelEvent,
    BargeInEvent,
    EndpointEvent,
    PartialTranscriptEvent,
    SessionEvent,
    SpeechStartedEvent,
    StateEvent,
    TranscriptEvent,
    TurnFailedEvent,
    TurnLatencyEvent,
)


class Observer:
    """Called with each event; the event goes to the method named for its kind (METHODS)."""

    def __call__(self, event: SessionEvent) -> None:
        getattr(self, METHODS[type(event)])(event)

    def speech_started(self, event: SpeechStartedEvent) -> None:
        """The caller started to speak."""

    def endpoint(self, event: EndpointEvent) -> None:
        """The caller's turn is over, as far as Parley can tell."""

    def partial_transcript(self, event: PartialTranscriptEvent) -> None:
        """The turn so far, transcribed on a pause."""

    def transcript(self, event: TranscriptEvent) -> None:
        """The caller's whole turn, as the reply takes it."""

    def state(self, event: StateEvent) -> None:
        """Listening, hearing, thinking or speaking."""

    def agent_text(self, event: AgentTextEvent) -> None:
        """A piece of the reply, as it goes to synthesis."""

    def turn_latency(self, event: TurnLatencyEvent) -> None:
        """Where the time of a turn went."""

    def barge_in(self, event: BargeInEvent) -> None:
        """The caller cut in; the reply was stopped."""

    def backchannel(self, event: BackchannelEvent) -> None:
        """The caller said "mhm" over Parley, which went on."""

    def audio_dropped(self, event: AudioDroppedEvent) -> None:
        """Live input was dropped: the session fell behind."""

    def turn_failed(self, event: TurnFailedEvent) -> None:
        """A turn got no (complete) reply; the call goes on."""


METHODS: dict[type, str] = {
    SpeechStartedEvent: "speech_started",
    EndpointEvent: "endpoint",
    PartialTranscriptEvent: "partial_transcript",
    TranscriptEvent: "transcript",
    StateEvent: "state",
    AgentTextEvent: "agent_text",
    TurnLatencyEvent: "turn_latency",
    BargeInEvent: "barge_in",
    BackchannelEvent: "backchannel",
    AudioDroppedEvent: "audio_dropped",
    TurnFailedEvent: "turn_failed",
}
