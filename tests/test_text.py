from parley.voice.events import SpokenPiece, SpokenReply
from parley.voice.speakable import SpeakableSplitter


def split_stream(text: str, step: int = 3) -> list[str]:
    splitter = SpeakableSplitter()
    pieces = []
    for start in range(0, len(text), step):
        pieces += splitter.feed(text[start : start + step])
    return pieces + splitter.finish()


def test_first_clause_comes_alone_then_whole_sentences():
    text = "Sure thing, I can book that for you. It is at 7.30 tonight! Anything else? ok"
    assert split_stream(text) == ["Sure thing,", "I can book that for you.", "It is at 7.30 tonight!",
                                  "Anything else?", "ok"]


def test_a_one_word_opening_is_not_cut_off():
    assert split_stream("Hello, this is Parley. Bye.") == ["Hello, this is Parley.", "Bye."]


def test_pieces_come_as_soon_as_they_are_complete():
    splitter = SpeakableSplitter()
    assert splitter.feed("Got it. And") == ["Got it."]
    assert splitter.feed(" then") == []
    assert splitter.finish() == ["And then"]


def test_heard_text_is_cut_where_playback_stopped():
    reply = SpokenReply([SpokenPiece("one two three four", 2.0), SpokenPiece("five six", 1.0)])
    assert reply.heard(3.0) == "one two three four five six"
    assert reply.heard(1.0) == "one two"
    assert reply.heard(2.5) == "one two three four five"
    assert reply.heard(0.0) == ""


def test_a_long_sentence_after_the_first_piece_goes_in_clauses():
    text = ("Let me read that back. That's a table for 4 people Friday the 4th of December at 7:30 pm, "
            "under Sam Lee, noting high chair, on 5 5 5 1 2 3 4. Shall I go ahead?")
    assert split_stream(text) == [
        "Let me read that back.",
        "That's a table for 4 people Friday the 4th of December at 7:30 pm,",
        "under Sam Lee, noting high chair, on 5 5 5 1 2 3 4.",
        "Shall I go ahead?",
    ]
