"""Probes and metrics on the server's port: `/healthz` (alive), `/readyz` (would take a call now),
`/metrics` (Prometheus' text format; off loopback, the token as the page's clients give it)."""

from __future__ import annotations

import asyncio
import hmac
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from parley.memory.db import default_db_path
from parley.voice.app.ops.drain import CALLS
from parley.voice.app.ops.metrics import exposition
from parley.voice.app.restaurants import Restaurant

PROBES = ("/healthz", "/readyz", "/metrics")


@dataclass
class Probing:
    restaurants: Iterable[Restaurant]
    token: str  # "" on loopback: no token asked


async def probe(connection: ServerConnection, request: Request, probing: Probing) -> Response:
    path = urlsplit(request.path).path
    if path == "/healthz":
        return connection.respond(200, "ok\n")  # the event loop answers: the process is alive
    if path == "/readyz":
        problem = await asyncio.to_thread(not_ready, probing.restaurants)
        return connection.respond(503 if problem else 200, f"{problem or 'ready'}{refusing(probing.restaurants)}\n")
    if probing.token and not _token_given(request, probing.token):
        return connection.respond(401, "a valid access token is required (Authorization: Bearer, or ?token=)\n")
    body, content_type = exposition()
    return Response(200, "OK", Headers({"Content-Type": content_type, "Content-Length": str(len(body))}), body)


def not_ready(restaurants: Iterable[Restaurant]) -> str:
    """Why this server should get no new calls now, or "": it is draining, or a database cannot be
    written. The models are loaded before the port opens, so a server that answers has them."""
    if CALLS.draining:
        return "draining: stopping, no new calls"
    for restaurant in restaurants:
        if restaurant.damaged:
            continue  # refused by itself, named by `refusing`
        problem = _unwritable(restaurant.db or default_db_path())
        if problem:
            return f"database {restaurant.id or 'default'} not writable: {problem}"
    return ""


def refusing(restaurants: Iterable[Restaurant]) -> str:
    """The restaurants refused for a damaged database, named after the readiness verdict: the server
    stays ready for the others (a balancer must keep sending their calls)."""
    damaged = [restaurant.id or "default" for restaurant in restaurants if restaurant.damaged]
    return f"; refusing {', '.join(damaged)}: damaged database (`parley memory check`)" if damaged else ""


def _unwritable(path: Path) -> str:
    if not path.exists():  # created by the first call; not here (in a cluster it may be another worker's)
        folder = next((p for p in path.parents if p.exists()), path.parent)
        return "" if os.access(folder, os.W_OK) else f"{folder} is not writable"
    try:
        connection = sqlite3.connect(path, timeout=1.0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")  # takes the write lock, as a booking would, and gives it back
            connection.execute("ROLLBACK")
        finally:
            connection.close()
    except sqlite3.Error as error:
        return str(error)
    return ""


def _token_given(request: Request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    given = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    given = given or parse_qs(urlsplit(request.path).query).get("token", [""])[0]
    return hmac.compare_digest(given.encode(), token.encode())
