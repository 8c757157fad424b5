import asyncio

import numpy as np

from parley.voice.app.measure.caller import ScriptedCaller
from parley.voice.audio import AudioFormat
from parley.voice.events import BackchannelEvent, BargeInEvent, TurnFailedEvent, TurnLatencyEvent
from parley.voice.queues import DropOldestQueue, QueueClosed
from parley.voice.reply import Engines
from parley.voice.session import Session
from parley.voice.streams import PacedSpeaker

from .fakes import ScriptedBrain, ScriptedSTT, ToneTTS

LONG_REPLY = "One two three four five six seven eight. Nine ten eleven twelve thirteen fourteen fifteen sixteen."


async def converse(config, lines, brain, cut_in_after=None, streaming=True):
    """Run a session with a scripted caller; returns the session, its events and the speaker."""
    speaker = PacedSpeaker(AudioFormat(16000), config.session.playback_ahead_ms / 1000)
    caller = ScriptedCaller(lines, speaker, pause=0.3, cut_in_after=cut_in_after)
    events = []
    engines = Engines(stt=ScriptedSTT(["book a table", "stop"]), tts=ToneTTS())
    session = Session(config.pipeline, engines, brain, caller, speaker, events.append, streaming)
    await session.run()
    return session, events, speaker


def test_barge_in_cancels_the_reply_and_keeps_what_was_heard(config, speak):
    lines = [speak("Could I book a table please?"), speak("Stop.")]
    brain = ScriptedBrain([LONG_REPLY, "Okay."])
    session, events, speaker = asyncio.run(converse(config, lines, brain, cut_in_after=1.0))

    roles = [(turn.role, turn.interrupted) for turn in session.history]
    assert roles == [("user", False), ("agent", True), ("user", False), ("agent", False)]
    cut = session.history[1]
    assert cut.text == LONG_REPLY
    # About 1.2 s of a 4 s reply was played (1 s, plus the VAD's start-of-speech wait): a few words.
    heard_words = cut.heard.split()
    assert 2 <= len(heard_words) <= 8
    assert LONG_REPLY.startswith(cut.heard)
    [barge_in] = [e for e in events if isinstance(e, BargeInEvent)]
    assert barge_in.heard == cut.heard and barge_in.dropped_seconds > 1.0
    assert brain.heard == ["book a table", "stop"]
    assert session.history[3].heard == "Okay."
    # The brain (and through it, memory) is told what was heard of each reply.
    assert brain.replies_heard == [(LONG_REPLY, cut.heard, True), ("Okay.", "Okay.", False)]


def test_every_reply_reports_its_latency_by_stage(config, speak):
    brain = ScriptedBrain(["Sure, a table. For how many?"])
    session, events, _ = asyncio.run(converse(config, [speak("Could I book a table please?")], brain))
    [latency] = [e.trace for e in events if isinstance(e, TurnLatencyEvent)]
    stages = latency.endpoint_wait_ms + latency.stt_ms + latency.dialogue_ms + latency.tts_ms
    assert abs(stages - latency.total_ms) < 1.0
    # The transcript (taken speculatively on the pause) reads as a finished turn, so the endpoint
    # came after the shorter wait, measured from the last speech sample, and STT was already done.
    assert config.vad.finished_wait_ms - config.vad.frame_ms <= latency.endpoint_wait_ms < config.vad.end_silence_ms
    assert latency.stt_ms < 5
    assert session.history[1].trace == latency
    assert session.history[1].text == "Sure, a table. For how many?"


def test_streaming_speaks_the_first_clause_alone_and_the_baseline_speaks_everything_at_once(config, speak):
    line = [speak("Could I book a table please?")]
    for streaming, expected in ((True, ["Sure, a table.", "For how many?"]), (False, ["Sure, a table. For how many?"])):
        brain = ScriptedBrain(["Sure, a table. For how many?"])
        session, _, _ = asyncio.run(converse(config, line, brain, streaming=streaming))
        assert session.engines.tts.pieces == expected


def test_the_turn_audio_reaches_stt_whole(config, speak):
    speech = speak("My name is Ana Lopez and I would like a table.")
    session, _, _ = asyncio.run(converse(config, [speech], ScriptedBrain(["Thanks."])))
    [heard] = session.engines.stt.heard_seconds
    assert abs(heard - len(speech) / 16000) < 0.3


class FailingOnceBrain(ScriptedBrain):
    async def reply(self, transcript):
        if not self.heard:
            self.heard.append(transcript)
            yield "Let me "
            raise ConnectionError("the brain went away")
        async for part in super().reply(transcript):
            yield part


def test_a_failed_turn_is_reported_and_the_next_turn_is_answered(config, speak):
    brain = FailingOnceBrain(["Sorry about that, how can I help?"])
    lines = [speak("Could I book a table please?"), speak("Hello?")]
    session, events, _ = asyncio.run(converse(config, lines, brain))
    [failure] = [e for e in events if isinstance(e, TurnFailedEvent)]
    assert "the brain went away" in failure.error
    assert session.history[-1].role == "agent"
    assert session.history[-1].text == "Sorry about that, how can I help?"


class VanishingSource:
    """A client that sends one line of speech, then disconnects while Parley is replying."""

    def __init__(self, speech, speaker):
        self.speech, self.speaker = speech, speaker

    async def chunks(self):
        from parley.voice.audio import AudioChunk
        from parley.voice.streams import paced, split

        audio = np.concatenate([self.speech, np.zeros(16000, dtype=np.int16)])
        async for chunk in paced(split(AudioChunk(audio.tobytes()), 20), realtime=True):
            yield chunk
        while self.speaker.handed_seconds == 0:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.5)
        raise ConnectionResetError("client went away")


def test_a_source_that_vanishes_mid_reply_stops_the_reply_and_keeps_what_was_heard(config, speak):
    async def scenario():
        speaker = PacedSpeaker(AudioFormat(16000), 2.0)
        engines = Engines(stt=ScriptedSTT(["book a table"]), tts=ToneTTS())
        session = Session(config.pipeline, engines, ScriptedBrain([LONG_REPLY]), VanishingSource(speak("Hello."), speaker), speaker)
        try:
            await session.run()
        except* ConnectionResetError:
            pass
        return session, speaker

    session, speaker = asyncio.run(scenario())
    agent = session.history[-1]
    assert agent.interrupted and 0 < len(agent.heard.split()) < len(LONG_REPLY.split())
    assert not speaker.busy()


def test_drop_oldest_queue_never_blocks_and_counts():
    async def scenario():
        queue = DropOldestQueue(2)
        assert [queue.put(i) for i in range(4)] == [False, False, True, True]
        queue.close()
        got = [await queue.get(), await queue.get()]
        try:
            await queue.get()
        except QueueClosed:
            return got
        raise AssertionError("a closed, empty queue must raise")

    assert asyncio.run(scenario()) == [(2,), (3,)]


def test_audio_pushed_faster_than_the_session_reads_it_is_dropped_in_the_one_queue_and_counted(config):
    """A browser's or a phone's frames all arrive at once (the session lagged): the session's queue keeps the
    newest and reports every chunk dropped, as the metric counts them."""
    from dataclasses import replace

    from parley.voice.events import AudioDroppedEvent
    from parley.voice.streams import PushedSource

    small = replace(config.pipeline, audio=replace(config.audio, input_queue_chunks=4))

    async def scenario():
        source, speaker, events = PushedSource(AudioFormat(16000), 16000), PacedSpeaker(AudioFormat(16000), 0.1), []
        for _ in range(50):
            source.feed(bytes(640))  # 20 ms of silence each
        source.close()
        engines = Engines(stt=ScriptedSTT([]), tts=ToneTTS())
        session = Session(small, engines, ScriptedBrain([]), source, speaker, events.append)
        await session.run()
        return session, events

    session, events = asyncio.run(scenario())
    dropped = [e.chunks for e in events if isinstance(e, AudioDroppedEvent)]
    assert session.dropped_chunks == 46 and dropped == list(range(1, 47))


class HearingBrain(ScriptedBrain):
    """Replies "Got it." to whatever it hears, and keeps what it heard."""

    def __init__(self):
        super().__init__(["Got it."] * 10)
        self.pauses: list[float] = []

    def pause_heard(self, ms: float) -> None:
        self.pauses.append(ms)


def test_a_pause_then_more_speech_never_gets_a_reply_to_the_partial_turn(config, engines, speak):
    from parley.voice.events import EndpointEvent

    pause = np.zeros(int(0.6 * 16000), dtype=np.int16)
    line = np.concatenate([speak("I would like a table for"), pause, speak("four people on Friday.")])

    async def scenario():
        speaker = PacedSpeaker(AudioFormat(16000), 2.0)
        caller = ScriptedCaller([line], speaker, pause=0.3)
        brain, events = HearingBrain(), []
        session = Session(config.pipeline, engines, brain, caller, speaker, events.append)
        speculated = []
        speculate = session._speculate
        session._speculate = lambda event: (speculated.append(event), speculate(event))
        await session.run()
        return brain, events, speculated

    brain, events, speculated = asyncio.run(scenario())
    assert len(speculated) >= 2  # STT ran on the pause, and again at the end
    assert len([e for e in events if isinstance(e, EndpointEvent)]) == 1
    [heard] = brain.heard  # one reply, to the whole turn
    assert "table for" in heard.lower() and "people on friday" in heard.lower()
    # The 600 ms gap, plus the quiet Piper leaves around a phrase, as memory will learn it.
    assert any(600 <= pause < 1000 for pause in brain.pauses), brain.pauses


class SlowSTT:
    """Whisper, slowed down: a turn is still being transcribed when the caller goes on."""

    def __init__(self, stt, seconds: float):
        self.stt, self.seconds = stt, seconds

    def transcribe(self, audio, expect=None):
        import time
        time.sleep(self.seconds)
        return self.stt.transcribe(audio, expect)


def test_a_caller_who_goes_on_before_the_turn_is_transcribed_is_heard_whole(config, engines, speak):
    """An endpoint that proves early (the caller speaks again while their turn is still being
    transcribed) merges what follows into the same turn: no word is lost, one reply is given."""
    gap = np.zeros(int(0.9 * 16000), dtype=np.int16)  # long enough to end the turn, short enough to go on
    line = np.concatenate([speak("Please press one to mute."), gap, speak("Two to lock the conference.")])

    async def scenario():
        speaker = PacedSpeaker(AudioFormat(16000), 2.0)
        caller = ScriptedCaller([line], speaker, pause=0.3)
        brain, events = HearingBrain(), []
        slow = Engines(stt=SlowSTT(engines.stt, 1.5), tts=engines.tts)
        session = Session(config.pipeline, slow, brain, caller, speaker, events.append, streaming=False)
        await session.run()
        return brain

    brain = asyncio.run(scenario())
    [heard] = brain.heard
    assert "mute" in heard.lower() and "lock the conference" in heard.lower()


class DigitsBrain(ScriptedBrain):
    """Waits for a phone number."""

    def listening(self):
        from parley.dialogue.turn_end import Expect, Listening
        return Listening(Expect.DIGITS)


def test_what_the_dialogue_expects_goes_with_the_audio_to_speech_to_text(config, speak):
    from parley.dialogue.turn_end import Expect

    session, _, _ = asyncio.run(converse(config, [speak("Five five five, one two three four.")], DigitsBrain(["Thanks."])))
    assert session.engines.stt.expected and set(session.engines.stt.expected) == {Expect.DIGITS}


def test_a_backchannel_over_a_reply_lets_it_play_to_the_end_and_is_kept_as_such(config, engines, speak):
    """Real Whisper hears "Okay." said over a long reply: Parley ducks, then goes on in full."""
    lines = [speak("Could I book a table please?"), speak("Okay.")]

    async def scenario():
        speaker = PacedSpeaker(AudioFormat(16000), config.session.playback_ahead_ms / 1000)
        caller = ScriptedCaller(lines, speaker, pause=0.3, cut_in_after=1.0)
        brain, events = ScriptedBrain([LONG_REPLY]), []
        session = Session(config.pipeline, Engines(engines.stt, ToneTTS()), brain, caller, speaker, events.append)
        await session.run()
        return session, brain, events, speaker

    session, brain, events, speaker = asyncio.run(scenario())
    assert [(turn.role, turn.interrupted) for turn in session.history] == [("user", False), ("agent", False)]
    assert session.history[1].heard == LONG_REPLY
    assert len(brain.heard) == 1 and [b.lower().strip(".") for b in brain.backchannels] == ["okay"]
    assert speaker.ducks == 1 and speaker.gain == 1.0
    assert [e.text for e in events if isinstance(e, BackchannelEvent)] == brain.backchannels
    assert not [e for e in events if isinstance(e, BargeInEvent)]
