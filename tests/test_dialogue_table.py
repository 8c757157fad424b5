"""The dialogue's one door and its state as one value: events by type, a turn undone by a snapshot put back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from parley.dialogue.domain import load_domain
from parley.dialogue.manager import DialogueManager
from parley.dialogue.moves import AsideAnswered, Commit, Committed, Say, UserSaid
from parley.dialogue.state import Expecting, Task
from parley.memory.db import open_db
from parley.memory.reservations import ReservationStore

NOW = datetime(2026, 11, 28, 15, 0)


def manager(tmp_path) -> DialogueManager:
    domain = load_domain()
    return DialogueManager(domain, ReservationStore(open_db(tmp_path / "parley.db"), domain.tables_per_slot))


def said(dialogue: DialogueManager, *lines: str) -> list[str]:
    return [" ".join(a.text for a in dialogue.handle(UserSaid(line), NOW) if isinstance(a, Say)) for line in lines]


def test_an_event_the_table_does_not_know_is_refused(tmp_path):
    @dataclass(frozen=True)
    class Shrug:
        pass

    with pytest.raises(KeyError):
        manager(tmp_path).handle(Shrug(), NOW)  # type: ignore[arg-type]


def test_a_snapshot_put_back_undoes_the_turns_since(tmp_path):
    dialogue = manager(tmp_path)
    said(dialogue, "A table for two tomorrow at seven, please.")
    before = dialogue.state.snapshot()
    said(dialogue, "Actually make that four people.", "Cancel my booking.")
    assert dialogue.state.task == Task.CANCEL and dialogue.state.draft.party_size is None
    dialogue.restore(before)
    assert dialogue.state == before and dialogue.state is not before
    assert dialogue.state.task == Task.BOOK and dialogue.state.draft.party_size == 2
    assert said(dialogue, "Jo Bloggs.") == said(restored := manager(tmp_path), "A table for two tomorrow at seven, please.",
                                                "Jo Bloggs.")[1:]
    assert restored.state.draft == dialogue.state.draft


def test_what_the_store_did_and_an_aside_go_in_through_the_same_door(tmp_path):
    dialogue = manager(tmp_path)
    said(dialogue, "A table for two tomorrow at seven.", "Jo Bloggs.", "555 1234")
    [commit] = [a for a in dialogue.handle(UserSaid("Yes."), NOW) if isinstance(a, Commit)]
    [done] = dialogue.handle(Committed(commit.booking), NOW)
    assert isinstance(done, Say) and "booked" in done.text and dialogue.state.expecting == Expecting.ANYTHING_ELSE
    assert dialogue.state.task is None and dialogue.state.draft.party_size is None
    [back] = dialogue.handle(AsideAnswered("It's sunny."), NOW)
    assert back == Say("Is there anything else I can do for you?")
    assert dialogue.state.last_said == "It's sunny. Is there anything else I can do for you?"
