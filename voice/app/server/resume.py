"""A browser call that outlives its WebSocket: when the connection drops without a bye (a phone
changing networks) the call is held, and a hello that names its session takes it up where it was."""

from __future__ import annotations

import asyncio

from websockets.asyncio.server import ServerConnection

ENDED_ON_PURPOSE = (1000, 1001)  # a client that closes so (leaving the page) meant to go, bye or not


class CallLine:
    """The connection a call speaks over now, and the ones it is resumed on. A resumed connection's
    handler waits on `rejoin`'s future: the connection stays open until the call is done with it."""

    def __init__(self, client_id: str, connection: ServerConnection):
        self.client_id = client_id
        self.connection = connection
        self._done: asyncio.Future[None] | None = None
        self._rejoins: asyncio.Queue[tuple[ServerConnection, asyncio.Future[None]]] = asyncio.Queue()

    def rejoin(self, connection: ServerConnection) -> asyncio.Future[None]:
        """Hand the call a new connection; the future is done when the call no longer needs it."""
        done = asyncio.get_running_loop().create_future()
        self._rejoins.put_nowait((connection, done))
        return done

    async def back_within(self, seconds: float) -> bool:
        """Wait for the caller to come back on a new connection; False if they do not in `seconds`."""
        self.release()
        try:
            self.connection, self._done = await asyncio.wait_for(self._rejoins.get(), seconds)
        except TimeoutError:
            return False
        return True

    def release(self) -> None:
        """The call is done with its current connection."""
        if self._done is not None and not self._done.done():
            self._done.set_result(None)
