"""Names heard with and without this restaurant's regulars as Whisper's hotwords, in voices not Parley's own.

`python -m tests.names_heard` speaks "My name is NAME." in Flite and espeak-ng voices (on the phone
line too) for names memory knows (the regulars) and names it does not, transcribes each as an
answer to "Can I take a name?" with and without the regulars as hotwords, and prints names right,
names that were right and got worse, and decoding time; then, with the hotwords, what the name
lexicon makes of each name heard: right (as heard, or taken for the regular it sounds like), doubted
(the caller is asked to spell it), or wrong and believed.
"""

from __future__ import annotations

import sys
import time

from parley.dialogue import phrases
from parley.dialogue.domain import load_domain
from parley.dialogue.name_lexicon import judge
from parley.dialogue.nlu import understand
from parley.dialogue.turn_end import Expect, Listening
from parley.voice.app.measure.voices import CallerVoice
from parley.voice.app.settings import load_config
from parley.voice.app.wiring import load_engines
from parley.voice.audio import AudioChunk

# Regulars: names memory holds for this restaurant, the kind Whisper does not know.
REGULARS = ["Siobhan Haddad", "Nina Berg", "Rahul Mehta", "Eva Novak", "Kofi Mensah", "Aoife Brennan",
            "Priya Raghunathan", "Lars Lindqvist", "Ngozi Okafor", "Tomasz Wojcik", "Mei Tanaka", "Omar Farouk",
            "Ines Carvalho", "Dmitri Volkov", "Hannah Schulz", "Yusuf Demir"]
NEW_CALLERS = ["John Smith", "Maria Rossi", "Ada Park", "Sam Lee", "Grace Wong", "Ben Carter"]  # not in memory
VOICES = ["flite:slt", "flite:awb/phone", "espeak:en-gb/phone"]


def heard_name(text: str) -> str | None:
    return understand(text, load_domain().now().date(), "name").name


def judged(name: str, text: str) -> str:
    """What the dialogue makes of a name heard: "right", "doubted" (to be spelled) or "wrong" (believed)."""
    said = heard_name(text) or ""
    verdict, known = judge(said, REGULARS) if said else ("doubtful", None)
    if verdict == "doubtful":
        return "doubted"
    return "right" if (known or said) == name else "wrong"


def heard(engines, config, spec: str) -> dict[str, list[tuple[str, bool, str]]]:
    """For each name, with and without the regulars as hotwords: (name, read right, transcript)."""
    prompt = phrases.what_callers_say(load_domain())
    listening = {"without": Listening(Expect.NAME, prompt=prompt),
                 "with": Listening(Expect.NAME, prompt=prompt, hotwords=", ".join(REGULARS))}
    names = REGULARS + NEW_CALLERS
    audio = CallerVoice.parse(spec).speak(engines, [f"My name is {name}." for name in names], config.audio.sample_rate)
    rows: dict[str, list[tuple[str, bool, str]]] = {"without": [], "with": []}
    for name, samples in zip(names, audio):
        for label, listen in listening.items():
            text = engines.stt.transcribe(AudioChunk.from_array(samples, config.audio.sample_rate), listen)
            rows[label].append((name, heard_name(text) == name, text))
    return rows


def main(voices: list[str]) -> None:
    config = load_config()
    engines = load_engines(config)
    for spec in voices:
        started = time.perf_counter()
        rows = heard(engines, config, spec)
        for group, names in (("regulars", REGULARS), ("new callers", NEW_CALLERS)):
            right = {label: sum(ok for name, ok, _ in rows[label] if name in names) for label in rows}
            worse = [text for (name, ok0, _), (_, ok1, text) in zip(rows["without"], rows["with"])
                     if name in names and ok0 and not ok1]
            print(f"{spec:22} {group:12} right without {right['without']}/{len(names)}, with hotwords "
                  f"{right['with']}/{len(names)}; right before and wrong with them: {len(worse)} {worse}")
        outcomes = [judged(name, text) for name, _, text in rows["with"]]
        print(f"{spec:22} with hotwords and the lexicon: " + ", ".join(
            f"{outcome} {outcomes.count(outcome)}/{len(outcomes)}" for outcome in ("right", "doubted", "wrong")))
        print(f"{spec:22} {time.perf_counter() - started:.1f} s for both")


if __name__ == "__main__":
    main(sys.argv[1:] or VOICES)
