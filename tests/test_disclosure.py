"""Who may hear what: a verified caller hears their memory at once; a claimed one after a second detail matches."""

import pytest

from tests.test_memory import BOOKING, assert_forgotten, call

# Each path that discloses or changes what memory holds: what is asked, and what the answer says.
PATHS = {
    "notes": ("What do you remember about me?", "peanut allergy"),
    "last booking": ("What did I book last time?", "Last time you booked a table for 4 people"),
    "change": ("I'd like to change my booking.", "I have a table for 4 people"),
    "cancel": ("Please cancel my booking.", "Shall I cancel it?"),
    "forget": ("Forget me.", "Shall I forget everything I know about you"),
}
SECRETS = ("peanut", "high chair", "Friday", "7:30", "4 people", "Lee")


@pytest.mark.parametrize("path", PATHS)
def test_a_verified_caller_is_answered_at_once(path, tmp_path):
    db = tmp_path / "parley.db"
    call(db, BOOKING, who=("user", "sam"))
    question, answer = PATHS[path]
    said = call(db, [question], who=("user", "sam"))
    assert answer in said[1], said


@pytest.mark.parametrize("path", PATHS)
def test_a_number_said_is_answered_only_once_the_name_matches(path, tmp_path):
    db = tmp_path / "parley.db"
    call(db, BOOKING)
    question, answer = PATHS[path]
    said = call(db, ["Hello, my number is 555 1234.", question, "Sam Lee."])
    assert said[1].startswith("Welcome back, Sam.")  # greeted, as before
    assert said[2].startswith("Before I go into that, what name"), said
    assert not any(secret in said[2] for secret in SECRETS), said[2]
    assert answer in said[3], said


@pytest.mark.parametrize("path", PATHS)
def test_a_number_said_with_the_wrong_name_hears_nothing(path, tmp_path):
    db = tmp_path / "parley.db"
    call(db, BOOKING)
    question, _ = PATHS[path]
    said = call(db, ["Hello, my number is 555 1234.", question, "Kim Wu.", "Yes."])
    assert said[3].startswith("I'm sorry, that doesn't match what I have")
    assert not any(secret in line for line in said[2:] for secret in SECRETS), said


def test_a_name_said_is_answered_only_once_the_number_matches(tmp_path):
    db = tmp_path / "parley.db"
    call(db, BOOKING)
    said = call(db, ["A table for two tomorrow at eight.", "Sam Lee.", "Yes, that's me.",
                     "What do you remember about me?", "555 1234"])
    assert said[3].startswith("Welcome back, Sam.") and "peanut" not in said[3]  # a claimed name brings no notes
    assert "what number do you book with?" in said[4]
    assert "peanut allergy" in said[5]


def test_forgetting_needs_the_second_detail_too(tmp_path):
    db = tmp_path / "parley.db"
    call(db, BOOKING)
    said = call(db, ["Hello, my number is 555 1234.", "Forget me.", "Sam.", "Yes."])
    assert "I've forgotten everything about you" in said[4]
    assert_forgotten(db)


@pytest.mark.parametrize("opening", ["Hi, this is Sam Lee, my number is 555 1234.",
                                     "Hello, my name is Sam Lee and my number is five five five, one two three four."])
def test_a_name_and_number_said_up_front_are_two_details(opening, tmp_path):
    """On a new device: the name and the number together verify the caller, so the booking is told at once."""
    db = tmp_path / "parley.db"
    call(db, BOOKING)
    said = call(db, [opening, "When is my booking?"])
    assert "Yes, I have a table for 4 people" in said[2], said


def test_a_name_up_front_that_does_not_match_the_number_verifies_nothing(tmp_path):
    db = tmp_path / "parley.db"
    call(db, BOOKING)
    said = call(db, ["Hi, this is Kim Wu, my number is 555 1234.", "When is my booking?"])
    assert said[2].startswith("Before I go into that"), said
    assert not any(secret in said[2] for secret in SECRETS), said[2]
