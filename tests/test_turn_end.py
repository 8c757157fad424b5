"""Whether a transcript sounds like the end of a turn."""

import pytest

from parley.dialogue.turn_end import sounds_finished


@pytest.mark.parametrize("text", ["I would like to book a table for", "I would like to book a table for...",
                                  "We need a high chair, and", "My number is 555,", "Um", "Could I book for the",
                                  "I would like a table for it.", "My name is Lena Park 555",
                                  "Kim Wu, 555. 3, 3,", "Could you", "Can you", "That's",
                                  "It's oh seven seven. Double nine. One two three."])
def test_unfinished(text):
    assert not sounds_finished(text)


@pytest.mark.parametrize("text", ["Yes.", "Book a table for four.", "What is your address?",
                                  "My phone number is 555-234-9876", "Thanks, goodbye.", "A table at 730.",
                                  "Party of 4", "Lena Park, 555 4444."])
def test_finished(text):
    assert sounds_finished(text)


def test_half_a_phone_number_is_unfinished_when_digits_are_expected():
    assert not sounds_finished("555 234.", expect="digits")
    assert sounds_finished("555 234 9876.", expect="digits")
    assert not sounds_finished("077 99 123", expect="digits")  # an 0 number has 10 or 11 digits
    assert sounds_finished("077 99 123 456", expect="digits")
    assert sounds_finished("Sorry, what?", expect="digits")
