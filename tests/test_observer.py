"""Every kind of session event reaches its own method of an Observer, and only that one."""

from __future__ import annotations

import typing

from parley.voice.events import SessionEvent, TurnTrace
from parley.voice.observer import METHODS, Observer


def test_every_event_kind_has_its_own_method():
    kinds = set(typing.get_args(SessionEvent))
    assert set(METHODS) == kinds and len(set(METHODS.values())) == len(kinds)
    assert all(callable(getattr(Observer, name)) for name in METHODS.values())


def test_an_event_reaches_the_method_overridden_for_it():
    from parley.voice.events import BargeInEvent, TurnLatencyEvent

    class Counting(Observer):
        def __init__(self) -> None:
            self.seen: list[str] = []

        def barge_in(self, event: BargeInEvent) -> None:
            self.seen.append(f"barge-in {event.heard}")

    watcher = Counting()
    watcher(TurnLatencyEvent(TurnTrace(1, 2, 3, 4, 10, 1.0)))  # not overridden: nothing happens
    watcher(BargeInEvent("Hello", 0.5))
    assert watcher.seen == ["barge-in Hello"]
