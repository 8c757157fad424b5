"""Wiring a satellite: the journal, the link, the embedded brain and a voice session on the device."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from parley.dialogue.types import Transport
from parley.edge.satellite import LINK_LOST, Journal, Link, SatelliteBrain
from parley.voice.app.settings import Config
from parley.voice.app.wiring import build_brain, voice_call
from parley.voice.events import SessionEvent
from parley.voice.reply import Engines
from parley.voice.speakable import speakable_pieces
from parley.voice.streams import AudioSink, AudioSource


def default_device_id() -> str:
    return "satellite-" + re.sub(r"[^A-Za-z0-9_.-]", "-", socket.gethostname())[:40]


@asynccontextmanager
async def satellite_brain(config: Config, url: str, device_id: str, token: str, home: Path,
                          connect_seconds: float = 5.0, drain_seconds: float = 5.0) -> AsyncIterator[SatelliteBrain]:
    """The brain of a satellite, its link kept up for the block. On the way out the journal gets
    `drain_seconds` to reach the server; what does not is sent on the next connection. Closing the
    brain is the caller's, as for any brain."""
    journal = Journal(home / "journal.db")
    link = Link(url, device_id, token, journal)
    local = build_brain(config, home / "offline.db", Transport.SATELLITE_OFFLINE, records_turns=False)
    linking = asyncio.create_task(link.run())
    try:
        try:
            await asyncio.wait_for(link.connected.wait(), connect_seconds)
        except TimeoutError:
            pass  # no server yet: the call starts offline, and the link keeps trying
        yield SatelliteBrain(link, journal, local)
    finally:
        await drain(journal, link, drain_seconds)
        linking.cancel()
        await asyncio.gather(linking, return_exceptions=True)
        await link.close()


async def run_satellite(config: Config, engines: Engines, source: AudioSource, speaker: AudioSink, url: str, device_id: str, token: str,
                        home: Path, on_event: Callable[[SessionEvent], None] = lambda event: None, drain_seconds: float = 5.0) -> SatelliteBrain:
    """One call on the device, for as long as `source` delivers audio (or the call ends)."""
    engines.tts.remember(speakable_pieces(LINK_LOST))  # said the moment the link drops: no synthesis wait
    async with satellite_brain(config, url, device_id, token, home, drain_seconds=drain_seconds) as brain:
        async with voice_call(config, engines, source, speaker, on_event, brain=brain) as call:
            await call.run()
    return brain


async def drain(journal: Journal, link: Link, seconds: float) -> None:
    """Until the server has every journal record, or `seconds` have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while journal.pending() and loop.time() < deadline:
        if link.connected.is_set():
            await link.flush()
        await asyncio.sleep(0.1)
