"""Prometheus metrics for every call, whatever its front end: one set per process (`/metrics`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from parley.dialogue.brain import Brain
from parley.dialogue.turn_end import is_backchannel
from parley.voice.events import AudioDroppedEvent, BargeInEvent, TranscriptEvent, TurnFailedEvent, TurnLatencyEvent
from parley.voice.observer import Observer

# Turn latency lives around half a second; a stage, from a few ms to seconds.
TURN_BUCKETS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0)
STAGE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 5.0)

LIVE_CALLS = Gauge("parley_live_calls", "Calls in progress", ["transport"])
CALLS_STARTED = Counter("parley_calls_started", "Calls answered", ["transport"])
CALLS_ENDED = Counter("parley_calls_ended", "Calls ended, by how: goodbye (Parley ended it), hung_up "
                      "(the caller left), drained (the server stopped), failed", ["transport", "how"])
CALLS_REFUSED = Counter("parley_calls_refused", "Calls refused before they began, by why", ["why"])
TURN_LATENCY = Histogram("parley_turn_latency_seconds", "The caller's last speech to the reply's first audio",
                         buckets=TURN_BUCKETS)
TURN_STAGE = Histogram("parley_turn_stage_seconds", "Each stage of a turn (docs/latency in the README)", ["stage"],
                       buckets=STAGE_BUCKETS)
STT_QUEUE_WAIT = Histogram("parley_stt_queue_wait_seconds", "A turn's wait for the shared speech-to-text engine",
                           buckets=STAGE_BUCKETS)
TURNS_FAILED = Counter("parley_turns_failed", "Turns that got no complete reply (the call went on)")
BARGE_INS = Counter("parley_barge_ins", "Replies the caller cut into")
FALSE_BARGE_INS = Counter("parley_false_barge_ins", "Barge-ins whose speech turned out to be nothing or a backchannel")
LLM_FALLBACKS = Counter("parley_llm_fallbacks", "Turns the LLM missed, answered by the embedded understanding")
MEMORY_WRITE_ERRORS = Counter("parley_memory_write_errors", "Writes to memory that failed (the call went on)")
INPUT_DROPPED = Counter("parley_input_audio_dropped_chunks", "Input audio dropped because the server fell behind")


def exposition() -> tuple[bytes, str]:
    """The process's metrics in Prometheus' text format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST


def refused(why: str) -> None:
    CALLS_REFUSED.labels(why).inc()


@dataclass
class CallMetrics(Observer):
    """One call's contribution: fed its session's events; `ended` once, with how it ended."""

    transport: str
    brain: Brain
    _barged_in: bool = False
    _dropped: int = 0
    _counted: dict[str, int] = field(default_factory=lambda: {"fallbacks": 0, "memory_errors": 0})

    def started(self) -> None:
        CALLS_STARTED.labels(self.transport).inc()
        LIVE_CALLS.labels(self.transport).inc()

    def ended(self, how: str) -> None:
        self._brain_counts()
        LIVE_CALLS.labels(self.transport).dec()
        CALLS_ENDED.labels(self.transport, how).inc()

    def barge_in(self, event: BargeInEvent) -> None:
        BARGE_INS.inc()
        self._barged_in = True

    def turn_failed(self, event: TurnFailedEvent) -> None:
        TURNS_FAILED.inc()

    def audio_dropped(self, event: AudioDroppedEvent) -> None:
        INPUT_DROPPED.inc(event.chunks - self._dropped)  # the event carries the call's running count
        self._dropped = event.chunks

    def turn_latency(self, event: TurnLatencyEvent) -> None:
        trace = event.trace
        TURN_LATENCY.observe(trace.total_ms / 1000)
        for stage in ("endpoint_wait", "stt", "dialogue", "tts", "stt_compute"):
            TURN_STAGE.labels(stage).observe(getattr(trace, f"{stage}_ms") / 1000)
        STT_QUEUE_WAIT.observe(trace.stt_wait_ms / 1000)
        self._brain_counts()

    def transcript(self, event: TranscriptEvent) -> None:
        """The turn after a barge-in tells whether it was one: nothing said, or only "mhm", was not."""
        text = event.text
        if self._barged_in and (not text.strip() or is_backchannel(text)):
            FALSE_BARGE_INS.inc()
        self._barged_in = False

    def _brain_counts(self) -> None:
        """The brain keeps its own lists of LLM fallbacks and failed writes; add what is new."""
        for name, counter in (("fallbacks", LLM_FALLBACKS), ("memory_errors", MEMORY_WRITE_ERRORS)):
            total = len(getattr(self.brain, name, ()))
            counter.inc(total - self._counted[name])
            self._counted[name] = total
