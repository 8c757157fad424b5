from voice.app.measure.scores import word_error_rate
from voice.audio import AudioChunk

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
