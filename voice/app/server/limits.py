"""What one server takes: calls at once, connections per address, calls per client id, messages per second."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from parley.voice import protocol
from parley.voice.app.settings import ServerConfig
from parley.voice.protocol import ProtocolError

BURST_SECONDS = 2.0  # a client may send this many seconds' worth of messages at once


class FloodGate:
    """A token bucket: `rate` messages a second on average, `rate * BURST_SECONDS` at once."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic):
        self.rate, self.capacity, self.clock = rate, rate * BURST_SECONDS, clock
        self.tokens, self.last = self.capacity, clock()

    def allow(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


async def gated(messages: AsyncIterable[str | bytes], rate: float) -> AsyncIterator[str | bytes]:
    """The client's messages, until it sends faster than `rate` a second: then a ProtocolError that closes it."""
    gate = FloodGate(rate)
    async for message in messages:
        if not gate.allow():
            raise ProtocolError("flood", f"more than {rate:.0f} messages a second", protocol.POLICY)
        yield message


class Limits:
    """Who may connect now; each `with` holds a place and gives it back, or refuses with the close code."""

    def __init__(self, config: ServerConfig):
        self.config = config
        self.addresses: Counter[str] = Counter()
        self.clients: Counter[str] = Counter()

    def address(self, address: str) -> AbstractContextManager[None]:
        return _held(self.addresses, address, self.config.max_per_address, ProtocolError(
            "too_many_connections", f"at most {self.config.max_per_address} connections from one address",
            protocol.TRY_AGAIN_LATER))

    def client(self, client_id: str) -> AbstractContextManager[None]:
        return _held(self.clients, client_id, self.config.max_per_client, ProtocolError(
            "too_many_sessions", f"at most {self.config.max_per_client} calls under one client id",
            protocol.TRY_AGAIN_LATER))


@contextmanager
def _held(counter: Counter[str], key: str, limit: int, refusal: ProtocolError) -> Iterator[None]:
    """A place for `key` while the block runs; `refusal` if it holds `limit` already."""
    if counter[key] >= limit:
        raise refusal
    counter[key] += 1
    try:
        yield
    finally:
        counter[key] -= 1
        if counter[key] <= 0:
            del counter[key]  # a counter of every address ever seen would grow without bound
