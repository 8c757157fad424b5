import pytest

from parley.voice.app.measure.scores import word_error_rate
from parley.voice.audio import AudioChunk

SENTENCES = [
    "I would like to book a table for four people.",
    "Can we come tomorrow evening at seven thirty?",
    "My name is Ana Lopez.",
    "Please cancel my reservation for Saturday.",
    "What time do you open on Sunday?",
    "One of us is allergic to peanuts.",
    "We will need a high chair for the baby.",
    "Is there parking near the restaurant?",
    "Actually, make it five people instead.",
    "Thank you very much, goodbye.",
    "Do you have a table by the window?",
]


def test_whisper_transcribes_piper_speech_with_low_word_error_rate(engines, speak):
    pairs = [(text, engines.stt.transcribe(AudioChunk(speak(text).tobytes()))) for text in SENTENCES]
    assert word_error_rate(pairs) < 0.15, pairs


def test_silence_transcribes_to_little_or_nothing(engines):
    text = engines.stt.transcribe(AudioChunk(bytes(32000)))
    assert len(text.split()) <= 2


def test_word_error_rate_counts_edits_after_normalizing():
    assert word_error_rate([("A table for four, please!", "a table for 4 please")]) == 0.0
    assert word_error_rate([("the cat sat down", "the sat down now")]) == 0.5


def test_a_click_is_no_word_even_with_the_restaurant_prompt(engines):
    import numpy as np
    assert engines.stt.prompt  # the default config primes Whisper with the restaurant's words
    for seed in range(4):
        noise = np.random.default_rng(seed).normal(0, 3000, 800)
        click = np.r_[np.zeros(8000), noise, np.zeros(7200)].astype(np.int16)
        assert engines.stt.transcribe(AudioChunk(click.tobytes())) == ""


def test_espeak_callers_are_heard_better_with_the_prompt(engines):
    """The lever measured in the README: a prompt of the restaurant's kind of words (no caller's
    details) roughly halves Whisper tiny.en's errors on a voice that is not Parley's."""
    from parley.voice.app.measure.voices import CallerVoice
    from parley.voice.stt import FasterWhisperSTT
    lines = ["Tuesday then.", "My number is five five five, four four four four.", "Yes, please.",
             "I would like a table for three tomorrow at eight."]
    audio = [AudioChunk(a.tobytes()) for a in CallerVoice.parse("espeak:en-us").speak(engines, lines, 16000)]
    plain = FasterWhisperSTT(engines.stt.config)
    without = word_error_rate([(text, plain.transcribe(a)) for text, a in zip(lines, audio)])
    primed = word_error_rate([(text, engines.stt.transcribe(a)) for text, a in zip(lines, audio)])
    assert primed < without, (primed, without)


def test_a_number_expected_is_heard_unprimed_and_a_restaurant_primes_its_own(engines, monkeypatch):
    """The prompt's digit words make tiny.en write a digit twice; when the dialogue waits for a
    number, Whisper is not primed (README: each lever alone)."""
    from parley.dialogue.turn_end import Expect, Listening
    prompts = []
    transcribe = engines.stt.model.transcribe

    def spy(audio, **options):
        prompts.append(options["initial_prompt"])
        return transcribe(audio, **options)

    monkeypatch.setattr(engines.stt.model, "transcribe", spy)
    silence = AudioChunk(bytes(16000))
    engines.stt.transcribe(silence, Listening(Expect.DIGITS))
    engines.stt.transcribe(silence, Listening(Expect.NAME))
    engines.stt.transcribe(silence)
    engines.stt.transcribe(silence, Listening(Expect.NAME, prompt="Osteria Luna: a table for two."))
    assert prompts == [None, engines.stt.prompt, engines.stt.prompt, "Osteria Luna: a table for two."]
    assert engines.stt.prompt


@pytest.mark.parametrize(("heard", "said"), [
    ("Hello, I booked with you before. Thank you.", "Hello, I booked with you before."),  # Flite awb, phone line
    ("Yes, that's right. you", "Yes, that's right."), ("Hello. So .", "Hello."), ("Four of us. .", "Four of us."),
    ("Okay. Bye.", "Okay. Bye."),  # a goodbye ends the call: never cut
    ("That's all, thank you.", "That's all, thank you."), ("Thank you.", "Thank you."), ("Is that you?", "Is that you?"),
])
def test_whispers_commonest_inventions_after_a_finished_sentence_are_cut(heard, said):
    from parley.voice.stt import without_phantom_tail
    assert without_phantom_tail(heard) == said


def test_a_turn_as_parley_decodes_it_ends_with_the_last_word_said(engines):
    """Flite's awb over a phone line, where tiny.en with word timestamps writes "Thank you." after the
    last word of 4 lines in 8 (tests/phantom_tails.py): decoded as Parley decodes, with and without the
    prompt, no line runs on."""
    from tests.phantom_tails import count
    runs = count(engines, "flite:awb/phone")
    assert all(after == 0 for _, after in runs.values()), runs

