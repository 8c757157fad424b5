"""Writes dialogue/common_words.txt: English's commonest words, from the byte-pair vocabulary of Whisper's tokenizer.

A byte-pair vocabulary learns whole words in the order they are common, so a lowercase word that is one
of its first 12,000 tokens (with its leading space) is a word people write often ("look", "even", "shot").
A name heard as such words is speech-to-text's guess at a name it did not know. The vocabulary is GPT-2's
(MIT), shipped inside Parley's own Whisper model. Run: `python -m tests.common_words > dialogue/common_words.txt`.
"""

import json
import sys

from parley.voice.models import whisper_model_dir

FIRST_TOKENS = 12_000


def common_words(vocabulary: dict[str, int]) -> list[str]:
    words = {token[1:]: rank for token, rank in vocabulary.items() if token.startswith("Ġ")}
    return sorted(w for w, rank in words.items() if rank < FIRST_TOKENS and w.isalpha() and w.islower() and w.isascii())


def main() -> None:
    with open(whisper_model_dir("") / "tokenizer.json", encoding="utf-8") as file:
        vocabulary = json.load(file)["model"]["vocab"]
    sys.stdout.write("\n".join(common_words(vocabulary)) + "\n")


if __name__ == "__main__":
    main()
