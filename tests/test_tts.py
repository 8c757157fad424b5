"""Piper's phrase cache, shared by every session of one server, under concurrent synthesis."""

from concurrent.futures import ThreadPoolExecutor

from piper import SynthesisConfig

from parley.voice.tts import PhraseCache

PHRASES = ["And a contact number?", "For how many people?", "What time?", "Which day?", "Anything else?"]


def test_sessions_synthesizing_at_once_get_their_own_words_while_the_cache_evicts(engines):
    tts = engines.tts
    usual, tts._synthesis = tts._synthesis, SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)  # same audio each time
    tts.cache = PhraseCache()
    alone = {phrase: b"".join(chunk.audio for chunk in tts.synthesize(phrase)) for phrase in PHRASES}
    tts.cache = PhraseCache(limit=2)  # smaller than the phrases in play: every round evicts

    def session(offset: int) -> list[bool]:
        said = [PHRASES[(offset + turn) % len(PHRASES)] for turn in range(12)]
        return [b"".join(chunk.audio for chunk in tts.synthesize(phrase)) == alone[phrase] for phrase in said]

    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(session, range(8)))
    finally:
        tts.cache, tts._synthesis = PhraseCache(), usual
    assert all(all(turns) for turns in results)


def test_the_cache_keeps_the_most_recently_used():
    cache = PhraseCache(limit=2)
    cache.put("a", [])
    cache.put("b", [])
    assert cache.get("a") == []  # "a" is now the most recent
    cache.put("c", [])
    assert cache.get("b") is None and cache.get("a") == [] and cache.get("c") == []
