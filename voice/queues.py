"""A bounded queue for live audio: never blocks the producer, drops the oldest item when full."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any


class QueueClosed(Exception):
    """Raised by `get` once the queue is closed and empty."""


class DropOldestQueue:
    def __init__(self, maxsize: int):
        self._items: deque = deque(maxlen=maxsize)
        self._ready = asyncio.Event()
        self._closed = False

    def put(self, *item: Any) -> bool:
        """Add an item; returns True when the oldest one had to be dropped to make room."""
        dropped = len(self._items) == self._items.maxlen
        self._items.append(item)
        self._ready.set()
        return dropped

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    async def get(self) -> tuple:
        while not self._items:
            if self._closed:
                raise QueueClosed
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()
