"""`parley serve`: the web page and the WebSocket on one port, one session and memory identity per connection."""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from parley.configs.files import ConfigError
from parley.dialogue import phrases
from parley.dialogue.types import Transport
from parley.voice import protocol
from parley.voice.app.cluster.replicas import Replicas
from parley.voice.app.ops.drain import CALLS, until_stopped
from parley.voice.app.ops.logs import setup_logging
from parley.voice.app.ops.metrics import refused
from parley.voice.app.restaurants import Restaurant, load_restaurants
from parley.voice.app.server.health import PROBES, Probing, probe
from parley.voice.app.server.limits import Limits, gated
from parley.voice.app.server.resume import ENDED_ON_PURPOSE, CallLine
from parley.voice.app.server.satellite import serve_satellite
from parley.voice.app.server.staff import serve_staff
from parley.voice.app.server.websocket_io import (
    ClientTooSlow,
    Outbox,
    WebSocketSpeaker,
    close_draining,
)
from parley.voice.app.settings import Config
from parley.voice.app.wiring import load_engines, voice_call
from parley.voice.audio import AudioFormat
from parley.voice.events import SessionEvent
from parley.voice.heap import give_back_freed, limit_arenas
from parley.voice.protocol import Bye, Hello, Played, ProtocolError
from parley.voice.reply import Engines
from parley.voice.session import Session
from parley.voice.streams import PushedSource

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024  # a frame of audio is a few kB; anything this big is a mistake or an attack
MAX_INCOMING_FRAMES = 64  # frames read off the socket but not yet handled, before TCP pushes back
HELLO_SECONDS = 10.0
DRAIN_SECONDS = 5.0  # at the end of a call, how long the last messages get to reach the client
LOOPBACK = ("127.0.0.1", "localhost", "::1")
PAGES = {  # path -> (file in voice/web, content type)
    "/": ("index.html", "text/html; charset=utf-8"),
    "/parley.js": ("parley.js", "text/javascript; charset=utf-8"),
    "/capture.js": ("capture.js", "text/javascript; charset=utf-8"),
    "/parley.css": ("parley.css", "text/css; charset=utf-8"),
    "/staff": ("staff.html", "text/html; charset=utf-8"),
    "/staff.js": ("staff.js", "text/javascript; charset=utf-8"),
    "/staff.css": ("staff.css", "text/css; charset=utf-8"),
}


class CallEnded(Exception):
    """The brain ended the call, or the client said bye or went away."""


@dataclass
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 8780
    token: str = ""  # required from every client when set; required to be set off loopback
    origins: tuple[str, ...] = ()  # pages on other origins allowed to connect, e.g. "https://example.org"

    def check(self) -> None:
        if self.host not in LOOPBACK and not self.token:
            raise ConfigError(f"binding {self.host} exposes Parley to the network: set PARLEY_TOKEN "
                              f"to a secret that clients must present, or bind 127.0.0.1")


@dataclass
class ParleyServer:
    config: Config
    engines: Engines
    db: Path | None
    options: ServerOptions
    sessions: set[str] = field(default_factory=set)
    limits: Limits = field(init=False)
    restaurants: dict[str, Restaurant] = field(init=False)
    replicas: Replicas | None = field(init=False)  # in a cluster: the restaurants this worker owns
    held: dict[str, CallLine] = field(default_factory=dict)  # calls whose connection dropped, by session id

    def __post_init__(self) -> None:
        self.limits = Limits(self.config.server)
        self.restaurants = load_restaurants(self.config, self.db)
        self.replicas = Replicas(self.config.server.replica) if self.config.server.replica else None

    def where(self, path: str) -> tuple[Restaurant, str] | None:
        """The restaurant a path is for, and the path within it: /r/ID/... with several, any with one."""
        path = urlsplit(path).path
        found = re.match(r"^/r/([^/]+)(/.*)?$", path)
        if found:
            restaurant = self.restaurants.get(found.group(1))
            return (restaurant, found.group(2) or "/") if restaurant else None
        return (self.restaurants[""], path) if "" in self.restaurants else None

    async def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """The page, probes and metrics for plain HTTP; for a WebSocket upgrade, the Origin check (None lets it through)."""
        if urlsplit(request.path).path in PROBES:
            return await probe(connection, request, Probing(self.restaurants.values(), self.options.token))
        if request.headers.get("Upgrade", "").lower() == "websocket":
            origin = request.headers.get("Origin")
            if origin is None or origin in self._allowed_origins(request):
                return None
            return connection.respond(403, f"origin {origin} may not connect (allow it with --allow-origin)\n")
        if re.fullmatch(r"/r/[^/]+", urlsplit(request.path).path):  # the page's relative links need the slash
            response = connection.respond(301, "moved\n")
            response.headers["Location"] = urlsplit(request.path).path + "/"
            return response
        place = self.where(request.path)
        page = PAGES.get(place[1]) if place else None
        if page is None:
            return connection.respond(404, "not found\n")
        name, content_type = page
        file = resources.files("parley.voice.app.server") / "page" / name
        response = connection.respond(200, file.read_text(encoding="utf-8"))
        del response.headers["Content-Type"]
        response.headers["Content-Type"] = content_type
        response.headers["Cache-Control"] = "no-cache"
        return response

    def _allowed_origins(self, request: Request) -> set[str]:
        host = request.headers.get("Host", "")
        return {f"http://{host}", f"https://{host}", *self.options.origins}

    async def handle(self, connection: ServerConnection) -> None:
        """One connection, within the limits (docs/protocol.md): refused with an error and a close code beyond them."""
        place = self.where(connection.request.path if connection.request else "/")
        if place is None:
            await _refuse(connection, ProtocolError("unknown_restaurant", "no such restaurant here: /r/ID/ws",
                                                    protocol.POLICY))
            return
        restaurant, path = place
        refusal = await self._cannot_take(restaurant)
        if refusal is not None:
            await _refuse(connection, refusal)
            return
        if path == "/staff/ws":
            await self._staff(connection, restaurant)
            return
        address = connection.remote_address[0] if connection.remote_address else ""
        try:
            with self.limits.address(address):
                hello = await self._hello_in_time(connection)
                if hello is None:
                    return
                if hello.resume:
                    await self._resume(connection, hello)
                    return
                if len(self.sessions) >= self.config.server.max_sessions:
                    await self._busy(connection, hello)
                with self.limits.client(hello.client_id):
                    await self._session(connection, hello, restaurant)
        except ProtocolError as error:
            await _refuse(connection, error)

    async def _cannot_take(self, restaurant: Restaurant) -> ProtocolError | None:
        """Why this server takes no connection for `restaurant` now, or None."""
        if CALLS.draining:
            refused("draining")
            return ProtocolError("draining", "this server is stopping; connect again shortly", protocol.SERVICE_RESTART)
        if restaurant.damaged:
            refused("damaged_database")
            return ProtocolError("unavailable", "this restaurant's memory is damaged and is being put right; "
                                 "please call again later", protocol.TRY_AGAIN_LATER)
        if not await self._owned(restaurant):
            return ProtocolError("unavailable", "this restaurant's memory cannot be reached; try again in a minute",
                                 protocol.TRY_AGAIN_LATER)
        return None

    async def _owned(self, restaurant: Restaurant) -> bool:
        """In a cluster, the restaurant's database restored and replicated here before its first call."""
        try:
            if self.replicas is not None:
                await self.replicas.own(restaurant)
            return True
        except (RuntimeError, OSError) as error:
            log.error("restaurant %s not taken over: %s", restaurant.id, error)
            return False

    async def _resume(self, connection: ServerConnection, hello: Hello) -> None:
        """Hand a held call this connection, and keep it open until the call is done with it."""
        line = self.held.get(hello.resume)
        if line is None or line.client_id != hello.client_id:
            raise ProtocolError("call_over", "that call has ended (or was never here): start a new one", protocol.NORMAL)
        await line.rejoin(connection)

    async def _busy(self, connection: ServerConnection, hello: Hello) -> None:
        """Beyond capacity: a caller with audio hears the busy message (synthesized once, then cached),
        then every client is refused with `server_full` and close code 1013."""
        if hello.audio is not None:
            tts = self.engines.tts
            await connection.send(protocol.Ready("", tts.format).encode())
            for chunk in await asyncio.to_thread(lambda: list(tts.synthesize(phrases.LINES_BUSY))):
                await connection.send(chunk.audio)
        refused("server_full")
        raise ProtocolError("server_full", "all lines are busy; try again in a few minutes", protocol.TRY_AGAIN_LATER)

    async def _staff(self, connection: ServerConnection, restaurant: Restaurant) -> None:
        """The staff page, under the same token rule as callers: none on loopback, PARLEY_TOKEN elsewhere."""
        query = parse_qs(urlsplit(connection.request.path if connection.request else "").query)
        given = query.get("token", [""])[0]
        if self.options.token and not hmac.compare_digest(given.encode(), self.options.token.encode()):
            await close_draining(connection, protocol.POLICY, "a valid access token is required")
            return
        await serve_staff(connection, restaurant.domain, restaurant.db)

    async def _hello_in_time(self, connection: ServerConnection) -> Hello | None:
        """The client's hello; None if it left first."""
        try:
            hello = await asyncio.wait_for(self._hello(connection), HELLO_SECONDS)
        except TimeoutError:
            raise ProtocolError("no_hello", f"no hello within {HELLO_SECONDS:.0f} s", protocol.POLICY) from None
        except (ConnectionClosed, CallEnded):
            return None
        if hello.satellite and not self.options.token:
            raise ProtocolError("no_satellites", "this server takes no satellites: start it with PARLEY_TOKEN set",
                                protocol.POLICY)
        return hello

    async def _session(self, connection: ServerConnection, hello: Hello, restaurant: Restaurant) -> None:
        session_id = secrets.token_hex(8)
        self.sessions.add(session_id)
        try:
            if hello.audio is None:
                await serve_satellite(connection, hello, restaurant, session_id,
                                      self.config.server.max_messages_per_second)
            else:
                await self._converse(connection, hello, hello.audio, session_id, restaurant)
        finally:
            self.sessions.discard(session_id)
            give_back_freed()

    async def _hello(self, connection: ServerConnection) -> Hello:
        """Wait for the client's hello; a broken message before it is answered, audio is refused."""
        async for message in gated(connection, self.config.server.max_messages_per_second):
            if isinstance(message, bytes):
                raise ProtocolError("hello_required", "send hello before any audio: the server "
                                    "must know the audio's format", protocol.PROTOCOL_ERROR)
            try:
                parsed = protocol.parse(message)
            except ProtocolError as error:
                if error.close_code is not None:
                    raise
                await connection.send(error.as_message().encode())
                continue
            if isinstance(parsed, Hello):
                self._check_token(parsed, connection)
                return parsed
            if isinstance(parsed, Bye):
                raise CallEnded
            await connection.send(ProtocolError("hello_required", "send hello first").as_message().encode())
        raise CallEnded

    def _check_token(self, hello: Hello, connection: ServerConnection) -> None:
        if not self.options.token:
            return
        query = parse_qs(urlsplit(connection.request.path if connection.request else "").query)
        given = hello.token or query.get("token", [""])[0]
        if not hmac.compare_digest(given.encode(), self.options.token.encode()):
            raise ProtocolError("bad_token", "a valid access token is required", protocol.POLICY)

    async def _converse(self, connection: ServerConnection, hello: Hello, audio: AudioFormat, session_id: str,
                        restaurant: Restaurant) -> None:
        config, outbox = restaurant.config, Outbox()
        source = PushedSource(audio, config.audio.sample_rate)
        speaker = WebSocketSpeaker(outbox, self.engines.tts.format, config.session.playback_ahead_ms / 1000)

        def on_event(event: SessionEvent) -> None:
            message = protocol.event_message(event)
            if message is not None:
                outbox.event(message)

        close_code, reason = protocol.NORMAL, "call ended"
        line = CallLine(hello.client_id, connection)
        try:
            # The brain is closed as the call ends: what was said and heard is in memory before the socket goes.
            async with voice_call(config, self.engines, source, speaker, on_event, db=restaurant.db, transport=Transport.WEBSOCKET,
                                  who=("client", hello.client_id), call_id=session_id, domain=restaurant.domain) as session, asyncio.TaskGroup() as group:
                outbox.event(protocol.Ready(session_id, speaker.format))
                group.create_task(self._over_the_line(line, session_id, session, source, speaker, outbox))
                group.create_task(outbox.stuck())
                await session.run()
                outbox.event(protocol.End())
                await asyncio.wait_for(outbox.drained(), DRAIN_SECONDS)
                raise CallEnded
        except* (CallEnded, ConnectionClosed, TimeoutError):
            pass
        except* ClientTooSlow as errors:
            close_code, reason = protocol.POLICY, str(errors.exceptions[0])
        except* ProtocolError as errors:  # a flood
            close_code, reason = protocol.POLICY, str(errors.exceptions[0])
        await close_draining(line.connection, close_code, reason)
        line.release()

    async def _over_the_line(self, line: CallLine, session_id: str, session: Session, source: PushedSource,
                             speaker: WebSocketSpeaker, outbox: Outbox) -> None:
        """The call's connection, then each it is resumed on after a drop, until the caller says bye,
        or does not come back within `[server] resume_seconds`: then the call ends, stored as dropped."""
        server = self.config.server
        try:
            while not await _connected(line.connection, source, speaker, outbox, server.max_messages_per_second):
                await session.line_dropped()
                self.held[session_id] = line
                try:
                    if not await line.back_within(server.resume_seconds):
                        log.info("call dropped: the caller did not come back within %.0f s", server.resume_seconds)
                        session.brain.line_dropped()
                        break
                finally:
                    del self.held[session_id]
                await line.connection.send(protocol.Ready(session_id, speaker.format).encode())
        finally:
            source.close()
        raise CallEnded  # the caller hung up, or is gone: stop talking now, keeping what they heard


async def _connected(connection: ServerConnection, source: PushedSource, speaker: WebSocketSpeaker,
                     outbox: Outbox, rate: int) -> bool:
    """Speak and listen over one connection until it ends; True when the caller ended the call."""
    writer = asyncio.create_task(outbox.send_all(connection))
    try:
        return await _read(connection, source, speaker, outbox, rate)
    finally:
        writer.cancel()
        with suppress(asyncio.CancelledError, ConnectionClosed):
            await writer


async def _read(connection: ServerConnection, source: PushedSource, speaker: WebSocketSpeaker,
                outbox: Outbox, rate: int) -> bool:
    """Client to session until the client leaves: audio to the source, reports to the speaker. True
    when it said bye or closed on purpose; False when the connection dropped."""
    try:
        async for message in gated(connection, rate):
            if isinstance(message, bytes):
                source.feed(message)
                continue
            try:
                parsed = protocol.parse(message)
            except ProtocolError as error:
                outbox.event(error.as_message())
                continue
            if isinstance(parsed, Played):
                speaker.report(parsed.seconds)
            elif isinstance(parsed, Bye):
                return True
            elif isinstance(parsed, Hello):
                outbox.event(ProtocolError("second_hello", "hello was already received").as_message())
            else:
                outbox.event(ProtocolError("satellite_only", "user_turn and record are for satellites "
                                           '(hello with "mode": "text")').as_message())
    except ConnectionClosed:
        pass
    return connection.protocol.close_rcvd is not None and connection.protocol.close_rcvd.code in ENDED_ON_PURPOSE


async def _refuse(connection: ServerConnection, error: ProtocolError) -> None:
    try:
        await connection.send(error.as_message().encode())
    except ConnectionClosed:
        return
    await close_draining(connection, error.close_code or protocol.POLICY, str(error)[:120])



@asynccontextmanager
async def listening(server: ParleyServer) -> AsyncIterator[int]:
    """The server accepting connections, for as long as the block runs; yields the port."""
    options = server.options
    async with serve(server.handle, options.host, options.port, process_request=server.process_request,
                     max_size=MAX_MESSAGE_BYTES, max_queue=MAX_INCOMING_FRAMES) as ws_server:
        yield ws_server.sockets[0].getsockname()[1]


async def serve_forever(server: ParleyServer) -> None:
    """Serve until SIGINT or SIGTERM, then drain (ops/drain.py); calls still open are closed and
    saved on the way out."""
    async with listening(server) as port:
        print(f"Parley is listening: open http://{_url_host(server.options.host)}:{port}/", flush=True)
        await until_stopped(server.engines.tts, server.config.server.drain_seconds)
    if server.replicas is not None:
        await server.replicas.close()  # after every call is stored: Litestream's last sync has it all


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def main(config: Config, db: Path | None, host: str, port: int, origins: tuple[str, ...],
         log_content: bool = False) -> int:
    options = ServerOptions(host, port, os.environ.get("PARLEY_TOKEN", ""), origins)
    options.check()
    setup_logging(log_content)
    limit_arenas()  # before the models start their threads
    print("loading the speech models...", flush=True)
    server = ParleyServer(config, load_engines(config), db, options)
    asyncio.run(serve_forever(server))
    return 0
