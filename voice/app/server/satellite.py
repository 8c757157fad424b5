"""The server's side of a satellite: transcripts in, reply text out, the satellite's turn records kept once."""

from __future__ import annotations

from contextlib import aclosing
from typing import Protocol

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from parley.dialogue.brain import Brain
from parley.dialogue.types import Transport
from parley.voice import protocol
from parley.voice.app.restaurants import Restaurant
from parley.voice.app.server.limits import gated
from parley.voice.app.wiring import open_brain
from parley.voice.protocol import Bye, Hello, ProtocolError, Record, UserTurn


class RecordingBrain(Brain, Protocol):
    """A brain that stores the turns a satellite recorded, once each."""

    async def record(self, turn: dict, origin: str) -> bool: ...


async def serve_satellite(connection: ServerConnection, hello: Hello, restaurant: Restaurant,
                          session_id: str, rate: int) -> None:
    # The satellite records every turn itself (it may have to, offline), so this brain records none.
    async with open_brain(restaurant.config, restaurant.db, Transport.SATELLITE, ("client", hello.client_id),
                          records_turns=False, domain=restaurant.domain) as brain:
        await _converse(connection, hello, brain, session_id, rate)
    await connection.close(protocol.NORMAL, "bye")


async def _converse(connection: ServerConnection, hello: Hello, brain: RecordingBrain, session_id: str,
                    rate: int) -> None:
    try:
        await connection.send(protocol.Ready(session_id, None).encode())
        async for message in gated(connection, rate):
            if isinstance(message, bytes):
                await _send(connection, ProtocolError("text_only", "a satellite sends text, not audio").as_message())
                continue
            try:
                parsed = protocol.parse(message)
            except ProtocolError as error:
                await _send(connection, error.as_message())
                continue
            if isinstance(parsed, UserTurn):
                await _answer(connection, brain, parsed)
            elif isinstance(parsed, Record):
                await brain.record(parsed.turn, f"{hello.client_id}:{parsed.origin}")
                await connection.send(protocol.Recorded(parsed.origin).encode())
            elif isinstance(parsed, Bye):
                break
            else:
                await _send(connection, ProtocolError("bad_message", "not a satellite message").as_message())
    except ConnectionClosed:
        pass


async def _answer(connection: ServerConnection, brain: Brain, turn: UserTurn) -> None:
    async with aclosing(brain.reply(turn.text)) as parts:
        async for part in parts:
            await connection.send(protocol.Agent(turn.seq, part).encode())
    await connection.send(protocol.ReplyEnd(turn.seq, brain.listening().expect, brain.ended).encode())


async def _send(connection: ServerConnection, message: protocol.Message) -> None:
    await connection.send(message.encode())
