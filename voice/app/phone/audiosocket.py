"""Asterisk's AudioSocket (TCP): a call's UUID, then 8 kHz signed-linear audio both ways, DTMF and hang-up.

Every message is a one-byte type, a two-byte big-endian payload length, and the payload
(docs.asterisk.org, Configuration/Channel-Drivers/AudioSocket)."""

from __future__ import annotations

import asyncio
import logging
import struct
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from parley.voice.app.ops.drain import CALLS
from parley.voice.app.ops.metrics import refused
from parley.voice.app.phone.call import PhoneCall
from parley.voice.app.settings import Config
from parley.voice.heap import give_back_freed
from parley.voice.reply import Engines

log = logging.getLogger(__name__)

HANGUP, UUID, DTMF, AUDIO, ERROR = 0x00, 0x01, 0x03, 0x10, 0xFF
RATE = 8000  # type 0x10: signed linear, 16-bit, 8 kHz, mono, little-endian
HEADER = struct.Struct(">BH")
UUID_SECONDS = 5.0  # Asterisk sends the UUID first thing; a peer that does not is not Asterisk


class AudioSocketError(Exception):
    """The peer broke the protocol."""


def frame(kind: int, payload: bytes = b"") -> bytes:
    return HEADER.pack(kind, len(payload)) + payload


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The next message; a hang-up when the connection ends."""
    try:
        kind, length = HEADER.unpack(await reader.readexactly(HEADER.size))
        return kind, await reader.readexactly(length)
    except asyncio.IncompleteReadError:
        return HANGUP, b""


async def read_uuid(reader: asyncio.StreamReader) -> uuid.UUID:
    kind, payload = await asyncio.wait_for(read_frame(reader), UUID_SECONDS)
    if kind != UUID or len(payload) != 16:
        raise AudioSocketError(f"expected the call's UUID first, got type 0x{kind:02x} of {len(payload)} bytes")
    return uuid.UUID(bytes=payload)


@dataclass
class AudioSocketLine:
    """Calls from Asterisk's `AudioSocket(UUID,HOST:PORT)`; beyond `[server] max_sessions` a connection is closed at once."""

    config: Config
    engines: Engines
    db: Path | None
    calls: set[str] = field(default_factory=set)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            call_id = str(await read_uuid(reader))
            if CALLS.draining or len(self.calls) >= self.config.server.max_sessions:
                refused("draining" if CALLS.draining else "busy")
                log.info("AudioSocket call %s refused: %s", call_id,
                         "stopping" if CALLS.draining else f"{len(self.calls)} calls already")
                return
            self.calls.add(call_id)
            try:
                await self._converse(call_id, reader, writer)
            finally:
                self.calls.discard(call_id)
                give_back_freed()
        except (AudioSocketError, TimeoutError) as error:
            log.warning("AudioSocket peer dropped: %s", error)
        finally:
            with suppress(ConnectionError):
                writer.write(frame(HANGUP))
                writer.close()
                await writer.wait_closed()

    async def _converse(self, call_id: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        call = PhoneCall(self.config, RATE, call_id)
        listening = asyncio.create_task(_listen(call, reader))
        try:
            # AudioSocket carries no caller ID: every caller is unknown until they say who they are.
            send = lambda pcm: writer.write(frame(AUDIO, pcm))  # noqa: E731
            await call.converse(self.engines, self.db, None, send, self.config.phone.rtp_timeout)
        finally:
            listening.cancel()


async def _listen(call: PhoneCall, reader: asyncio.StreamReader) -> None:
    """Asterisk to the call, until it hangs up."""
    while True:
        kind, payload = await read_frame(reader)
        if kind == AUDIO:
            call.audio(payload[: len(payload) - len(payload) % 2])
        elif kind == DTMF and payload:
            call.event(payload[:1].decode("ascii", "replace"))
        elif kind in (HANGUP, ERROR):
            if kind == ERROR:
                log.warning("AudioSocket call %s: Asterisk reports error %s", call.label, payload.hex() or "(none)")
            call.hung_up.set()
            return
        else:
            log.warning("AudioSocket call %s: ignored message type 0x%02x (only 8 kHz audio is taken)", call.label, kind)
