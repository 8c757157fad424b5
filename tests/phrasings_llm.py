"""What the LLM brain's reading adds to the rules on the phrasing corpus: each turn read by the
rules alone, and by the rules with SmolLM2-135M's reading merged in (as the LLM brain does).

`python -m tests.phrasings_llm` (starts a llama-cpp server on loopback; a few minutes on two cores).
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from openai import AsyncOpenAI

from parley.dialogue.domain import load_domain
from parley.dialogue.llm_brain import FAILURES, LlmBrain, merge
from parley.dialogue.nlu import understand
from parley.dialogue.reservation_brain import ReservationBrain
from parley.memory.db import open_db
from parley.memory.reservations import ReservationStore
from tests.llama_server import LlamaServer
from tests.phrasings import SPLITS, TODAY, Turn, _slots, load


def as_found(u) -> dict[str, str]:
    return {key: value for key, value in _slots(u).items() if value is not None}


async def compare(llm: LlmBrain, turns: list[Turn]) -> tuple[int, int, int]:
    """(right by the rules, right with the model's reading merged, turns)."""
    rules_right = merged_right = 0
    for turn in turns:
        asked = None if turn.asked == "none" else turn.asked
        rules = understand(turn.text, TODAY, asked)
        try:
            reading = await llm._read(turn.text, TODAY)
        except FAILURES:  # the brain falls back to the rules alone, and so does this count
            reading = None
        merged = merge(rules, reading, turn.text) if reading else rules
        rules_right += as_found(rules) == turn.meaning
        merged_right += as_found(merged) == turn.meaning
        if as_found(merged) != as_found(rules):
            print(f"  {turn.text!r}: rules {as_found(rules)}, with the model {as_found(merged)}")
    return rules_right, merged_right, len(turns)


async def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        server = LlamaServer(Path(scratch) / "llama.log")
        try:
            domain = load_domain()
            store = ReservationStore(open_db(Path(scratch) / "p.db"), domain.tables_per_slot)
            client = AsyncOpenAI(base_url=server.url, api_key="local", max_retries=0, timeout=30)
            llm = LlmBrain(ReservationBrain(domain, store), client, "smollm2", deadline_s=30)
            for split, path in SPLITS.items():
                rules, merged, of = await compare(llm, load(path))
                print(f"{split}: whole turns right, rules {rules}/{of}, rules + SmolLM2-135M {merged}/{of}")
        finally:
            server.kill()


if __name__ == "__main__":
    asyncio.run(main())
