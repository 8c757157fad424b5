"""What one call tells the operator, from its session's events: the metrics, and a log line per turn."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from parley.dialogue.brain import Brain
from parley.voice.app.ops.logs import CONTENT, CallContext
from parley.voice.app.ops.metrics import CallMetrics
from parley.voice.events import EndpointEvent, SessionEvent, TranscriptEvent, TurnLatencyEvent
from parley.voice.observer import Observer
from parley.voice.session import Session

log = logging.getLogger(__name__)


class CallWatch(Observer):
    """The operator's view of one call: its metrics, its turn count on every log line, a line per turn."""

    def __init__(self, transport: str, brain: Brain, context: CallContext):
        self.transport = transport
        self.brain = brain
        self.context = context
        self.metrics = CallMetrics(transport, brain)
        self._heard = ""

    def observing(self, on_event: Callable[[SessionEvent], None]) -> Callable[[SessionEvent], None]:
        """`on_event`, with this watch seeing every event first."""
        def both(event: SessionEvent) -> None:
            self(event)
            on_event(event)
        return both

    def __call__(self, event: SessionEvent) -> None:
        self.metrics(event)
        super().__call__(event)

    def endpoint(self, event: EndpointEvent) -> None:
        self.context.turn += 1

    def transcript(self, event: TranscriptEvent) -> None:
        self._heard = event.text

    def turn_latency(self, event: TurnLatencyEvent) -> None:
        trace = event.trace
        log.info("turn answered in %.0f ms (endpoint %.0f, stt %.0f, queue %.0f, dialogue %.0f, tts %.0f)",
                 trace.total_ms, trace.endpoint_wait_ms, trace.stt_ms, trace.stt_wait_ms, trace.dialogue_ms,
                 trace.tts_ms, extra={CONTENT: {"heard": self._heard}})

    @contextmanager
    def running(self, session: Session) -> Iterator[None]:
        """Counts the call while the block runs, and how it ended."""
        self.metrics.started()
        log.info("call started over %s", self.transport)
        try:
            yield
        finally:
            how = "drained" if session.farewell_said else "goodbye" if self.brain.ended else "hung_up"
            self.metrics.ended(how)
            log.info("call ended (%s) after %d turns", how, self.context.turn)
