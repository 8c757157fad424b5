"""`parley chat`: the reservation dialogue and its memory, typed instead of spoken."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from parley.dialogue.brain import Brain
from parley.dialogue.types import Transport
from parley.voice.app.settings import Config
from parley.voice.app.wiring import open_brain


async def converse(brain: Brain, interactive: bool) -> None:
    await _say(brain, brain.greeting())
    while not brain.ended:
        line = await asyncio.to_thread(_read_line, interactive)
        if line is None:
            return
        if line.strip():
            await _say(brain, "".join([part async for part in brain.reply(line.strip())]).strip())


async def _say(brain: Brain, reply: str) -> None:
    print(f"parley: {reply}", flush=True)
    brain.reply_heard(reply, reply)  # typed: every word arrives


def _read_line(interactive: bool) -> str | None:
    try:
        return input("you: ") if interactive else sys.stdin.readline() or None
    except EOFError:
        return None


def main(config: Config, db: Path | None, user: str | None) -> int:
    async def run() -> None:
        async with open_brain(config, db, Transport.CHAT, ("user", user) if user else None) as brain:
            await converse(brain, sys.stdin.isatty())

    asyncio.run(run())
    return 0
