"""The turn-taker alone: VAD events and transcripts as plain values, actions out; no audio, no clock."""

import pytest

from parley.dialogue.turn_end import Expect, Listening
from parley.voice.turn_taking import (
    BACKCHANNEL_MAX_MS,
    DUCKED_GAIN,
    HeardUpTo,
    LetReplyRun,
    Partial,
    PauseHeard,
    Respond,
    SetGain,
    Started,
    StopReply,
    Transcribe,
    Transcribed,
    TurnTaker,
    Wait,
)
from parley.voice.vad import SpeechEnded, SpeechPaused, SpeechResumed, SpeechStarted

ASKING = Listening()


@pytest.fixture
def turns(config):
    return TurnTaker(config.vad)


def test_a_pause_is_transcribed_and_a_finished_turn_waits_little(turns, config):
    assert turns.handle(SpeechStarted(0)) == [Started(0)]
    assert turns.handle(SpeechPaused(0, 16000)) == [Transcribe(0, 16000)]
    assert turns.handle(Transcribed(16000, "What time do you open on Sunday?", ASKING)) == [
        Partial("What time do you open on Sunday?"), Wait(config.vad.finished_wait_ms)]
    assert turns.handle(SpeechEnded(0, 16000)) == [Respond(0, 16000, speculated=True)]


def test_an_unfinished_turn_waits_the_longest(turns, config):
    turns.handle(SpeechStarted(0))
    turns.handle(SpeechPaused(0, 8000))
    assert turns.handle(Transcribed(8000, "A table for", ASKING)) == [Partial("A table for"),
                                                                      Wait(config.vad.unfinished_wait_ms)]


def test_the_wait_follows_what_the_dialogue_expects_and_who_is_speaking(turns, config):
    vad = config.vad

    def wait_after(text: str, listening: Listening) -> int:
        turns.handle(SpeechStarted(0))
        turns.handle(SpeechPaused(0, 8000))
        *_, wait = turns.handle(Transcribed(8000, text, listening))
        turns.handle(SpeechEnded(0, 8000))
        return wait.ms

    assert wait_after("Yes.", Listening(Expect.YES_NO)) < vad.finished_wait_ms
    assert wait_after("Sam Lee.", Listening(Expect.NAME)) > vad.finished_wait_ms
    assert wait_after("Tomorrow at seven.", Listening(pause_ms=500)) == 600  # this caller thinks in long pauses


def test_a_transcript_taken_before_the_user_went_on_decides_nothing(turns):
    turns.handle(SpeechStarted(0))
    turns.handle(SpeechPaused(0, 8000))
    assert turns.handle(SpeechResumed(9000, pause_ms=62.5)) == [PauseHeard(62.5)]
    assert turns.handle(Transcribed(8000, "I'd like a table.", ASKING)) == []
    assert turns.handle(SpeechEnded(0, 20000)) == [Respond(0, 20000, speculated=False)]


def test_one_speculation_at_a_time_and_a_later_pause_goes_next(turns, config):
    turns.handle(SpeechStarted(0))
    assert turns.handle(SpeechPaused(0, 8000)) == [Transcribe(0, 8000)]
    turns.handle(SpeechResumed(9000, pause_ms=60))
    assert turns.handle(SpeechPaused(0, 16000)) == []  # waits for the running one
    assert turns.handle(Transcribed(8000, "A table", ASKING)) == [Transcribe(0, 16000)]
    assert turns.handle(Transcribed(16000, "A table for two.", ASKING))[-1] == Wait(config.vad.finished_wait_ms)


def test_a_transcript_after_the_turn_or_the_input_ended_ends_nothing(turns):
    turns.handle(SpeechStarted(0))
    turns.handle(SpeechPaused(0, 8000))
    assert turns.handle(SpeechEnded(0, 8000)) == [Respond(0, 8000, speculated=True)]
    assert turns.handle(Transcribed(8000, "Hello.", ASKING)) == []
    turns.handle(SpeechStarted(20000))
    turns.handle(SpeechPaused(20000, 30000))
    turns.input_over()
    assert turns.handle(Transcribed(30000, "Goodbye.", ASKING)) == []


def test_no_transcript_waits_as_the_naive_baseline_does(turns, config):
    """Shed by a busy engine, or failed: nothing reads the turn, so neither the short wait nor the long one."""
    turns.handle(SpeechStarted(0))
    turns.handle(SpeechPaused(0, 8000))
    assert turns.handle(Transcribed(8000, None, ASKING)) == [Wait(config.vad.end_silence_ms)]


def test_the_user_starting_to_talk_over_parley_ducks_it_unless_barge_in_is_off(config):
    assert TurnTaker(config.vad).handle(SpeechStarted(0), agent_talking=True) == [Started(0), SetGain(DUCKED_GAIN)]
    assert TurnTaker(config.vad).handle(SpeechStarted(0), agent_talking=False) == [Started(0)]
    assert TurnTaker(config.vad, barge_in=False).handle(SpeechStarted(0), agent_talking=True) == [Started(0)]
    assert TurnTaker(config.vad, speculate=False).handle(SpeechStarted(0), agent_talking=True) == [Started(0), StopReply()]


def over_parley(turns, text, end=6400):
    """Speech over Parley up to `end`, a pause, and its transcript: the actions the transcript brings."""
    turns.handle(SpeechStarted(0), agent_talking=True)
    assert turns.handle(SpeechPaused(0, end), agent_talking=True) == [Transcribe(0, end)]
    return turns.handle(Transcribed(end, text, ASKING), agent_talking=True)


@pytest.mark.parametrize("text", ["Mm-hmm.", "Okay.", "Yeah, right.", "Uh-huh.", "Sure.", "Oh, I see.", "M H M", "HMM", "You"])
def test_a_backchannel_lets_parley_go_on_at_full_volume_and_is_no_turn(turns, text):
    assert over_parley(turns, text) == [SetGain(1.0), LetReplyRun(text)]
    assert turns.handle(HeardUpTo(16000), agent_talking=True) == []  # nothing left to decide


@pytest.mark.parametrize("text", ["Wait.", "No.", "Sorry?", "What time?", "Actually make it Friday", "Hm?", "Okay?"])
def test_anything_else_said_over_parley_barges_in_at_its_first_transcript(turns, text):
    assert over_parley(turns, text)[0] == StopReply()


def test_speech_over_parley_longer_than_a_backchannel_barges_in_before_any_transcript(turns, config):
    turns.handle(SpeechStarted(0), agent_talking=True)
    assert turns.handle(HeardUpTo(BACKCHANNEL_MAX_MS * 16), agent_talking=True) == []
    assert turns.handle(HeardUpTo(BACKCHANNEL_MAX_MS * 16 + 320), agent_talking=True) == [StopReply()]
    assert turns.handle(HeardUpTo(BACKCHANNEL_MAX_MS * 32), agent_talking=True) == []  # once


def test_a_short_backchannel_then_quiet_waits_for_its_transcript_however_slow(turns):
    turns.handle(SpeechStarted(0), agent_talking=True)
    turns.handle(SpeechPaused(0, 6400), agent_talking=True)
    assert turns.handle(HeardUpTo(BACKCHANNEL_MAX_MS * 32), agent_talking=True) == []
    assert turns.handle(Transcribed(6400, "Mhm.", ASKING), agent_talking=True) == [SetGain(1.0), LetReplyRun("Mhm.")]


def test_okay_said_as_parley_finishes_is_an_answer_not_a_backchannel(turns, config):
    turns.handle(SpeechStarted(0), agent_talking=True)
    turns.handle(SpeechPaused(0, 6400), agent_talking=True)
    assert turns.handle(Transcribed(6400, "Okay.", ASKING), agent_talking=False) == [
        SetGain(1.0), Partial("Okay."), Wait(config.vad.finished_wait_ms)]


def test_a_turn_over_parley_that_ends_undecided_barges_in_then_is_answered(turns):
    turns.handle(SpeechStarted(0), agent_talking=True)
    assert turns.handle(SpeechEnded(0, 6400), agent_talking=True) == [StopReply(), Respond(0, 6400, speculated=False)]


def test_a_failed_transcript_of_speech_over_parley_barges_in(turns):
    turns.handle(SpeechStarted(0), agent_talking=True)
    turns.handle(SpeechPaused(0, 6400), agent_talking=True)
    assert turns.handle(Transcribed(6400, None, ASKING), agent_talking=True) == [StopReply()]  # the long wait stays


def test_the_naive_baseline_never_speculates(config):
    turns = TurnTaker(config.vad, speculate=False)
    turns.handle(SpeechStarted(0))
    assert turns.handle(SpeechPaused(0, 8000)) == []
    assert turns.handle(SpeechEnded(0, 8000)) == [Respond(0, 8000, speculated=False)]


def test_a_new_wait_is_given_to_the_endpointer_and_may_end_the_turn_at_once(turns, config):
    """`take` carries out what concerns the endpointer: the session sees the turn end, not the wait."""
    turns.handle(SpeechStarted(0))
    turns.handle(SpeechPaused(0, 8000))
    assert turns.take(Transcribed(8000, "A table for", ASKING)) == [Partial("A table for")]
    assert turns.endpointer.wait_ms == config.vad.unfinished_wait_ms


def test_a_turn_cut_in_on_before_its_transcript_was_read_is_answered_whole(turns):
    """The endpoint came too early: the caller went on over the reply. The next turn starts where the
    first did, and its speculation transcribes both parts together."""
    turns.handle(SpeechStarted(0))
    assert turns.handle(SpeechEnded(0, 8000)) == [Respond(0, 8000, speculated=False)]
    turns.reply_cut(0, transcript_read=False)
    turns.handle(SpeechStarted(9600))
    assert turns.handle(SpeechPaused(9600, 16000)) == [Transcribe(0, 16000)]
    turns.handle(Transcribed(16000, "A table for two tomorrow at seven, please.", ASKING))
    assert turns.handle(SpeechEnded(9600, 16000)) == [Respond(0, 16000, speculated=True)]
    turns.reply_cut(9600, transcript_read=True)  # heard: the next turn is a turn of its own
    turns.handle(SpeechStarted(20000))
    assert turns.handle(SpeechEnded(20000, 24000)) == [Respond(20000, 24000, speculated=False)]


def answered(turns, start=0, end=8000):
    """A turn from `start` to `end`, ended and answered: its reply has only just begun."""
    turns.handle(SpeechStarted(start))
    [respond] = turns.handle(SpeechEnded(start, end))
    return respond


def test_speech_over_a_reply_that_has_just_begun_takes_it_back_and_goes_on_from_its_turn(turns, config):
    """"A table for two tomorrow," answered, then "at seven, please." over the answer's first words."""
    answered(turns)
    turns.handle(SpeechStarted(9600), agent_talking=True)
    assert turns.handle(SpeechPaused(9600, 16000), agent_talking=True) == [Transcribe(9600, 16000)]
    # Not a backchannel: the reply is taken back, and the two parts are transcribed together to decide the wait.
    assert turns.handle(Transcribed(16000, "At seven, please.", ASKING), agent_talking=True) == [
        StopReply(take_back=True), Transcribe(0, 16000)]
    whole = "A table for two tomorrow, at seven, please."
    assert turns.take(Transcribed(16000, whole, ASKING)) == [Partial(whole)]
    assert turns.handle(SpeechEnded(9600, 16000)) == [Respond(0, 16000, speculated=True)]


def test_a_reply_that_stood_is_barged_in_on_and_the_new_turn_is_its_own(turns):
    answered(turns)
    turns.reply_stood(0)
    assert over_parley(turns, "Wait.", end=16000)[0] == StopReply(take_back=False)
    assert turns.handle(SpeechEnded(0, 16000)) == [Respond(0, 16000, speculated=True)]


def test_a_backchannel_over_a_reply_that_has_just_begun_takes_nothing_back(turns):
    answered(turns)
    turns.handle(SpeechStarted(9600), agent_talking=True)
    turns.handle(SpeechPaused(9600, 12800), agent_talking=True)
    assert turns.handle(Transcribed(12800, "Mhm.", ASKING), agent_talking=True) == [SetGain(1.0), LetReplyRun("Mhm.")]


def test_a_turn_begun_over_a_short_reply_that_played_out_takes_that_reply_back(turns, config):
    """The answer ended while the caller, who began over its first words, was still speaking."""
    answered(turns)
    turns.handle(SpeechStarted(9600), agent_talking=True)
    assert turns.handle(SpeechEnded(9600, 16000), agent_talking=False) == [
        SetGain(1.0), Respond(0, 16000, speculated=False, takes_back=True)]


def test_okay_as_a_short_reply_plays_out_is_an_answer_and_takes_nothing_back(turns, config):
    answered(turns)
    turns.handle(SpeechStarted(9600), agent_talking=True)
    turns.handle(SpeechPaused(9600, 12800), agent_talking=True)
    turns.handle(Transcribed(12800, "Okay.", ASKING), agent_talking=False)
    assert turns.handle(SpeechEnded(9600, 12800)) == [Respond(9600, 12800, speculated=True)]
