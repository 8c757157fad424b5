"""`parley chat`: the reservation dialogue and its memory, typed instead of spoken."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from dialogue.brains import build_brain
from voice.config import Config


async def converse(brain, interactive: bool) -> None:
    print(f"parley: {brain.greeting()}", flush=True)
    while not brain.ended:
        line = await asyncio.to_thread(_read_line, interactive)
        if line is None:
            return
        if not line.strip():
            continue
        reply = "".join([part async for part in brain.reply(line.strip())]).strip()
        print(f"parley: {reply}", flush=True)


def _read_line(interactive: bool) -> str | None:
    try:
        return input("you: ") if interactive else sys.stdin.readline() or None
    except EOFError:
        return None


def main(config: Config, db: Path | None) -> int:
    asyncio.run(converse(build_brain(config, db), sys.stdin.isatty()))
    return 0
