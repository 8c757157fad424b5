"""`parley phone`: the SIP line, and Asterisk's AudioSocket when asked, until SIGINT or SIGTERM (then a drain)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from parley.configs.files import ConfigError
from parley.voice.app.ops.drain import until_stopped
from parley.voice.app.ops.logs import setup_logging
from parley.voice.app.phone.audiosocket import AudioSocketLine
from parley.voice.app.phone.line import PhoneLine
from parley.voice.app.settings import Config
from parley.voice.app.wiring import load_engines
from parley.voice.heap import limit_arenas
from parley.voice.reply import Engines


def host_port(text: str, option: str) -> tuple[str, int]:
    """"HOST:PORT" (an IPv6 host in brackets) from the command line or `[phone] listen`."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"{option} wants HOST:PORT, e.g. 127.0.0.1:5070, not {text!r}")
    return host.strip("[]"), int(port)


async def answer(config: Config, engines: Engines, db: Path | None, listen: tuple[str, int],
                 audiosocket: tuple[str, int] | None) -> None:
    line = PhoneLine(config, engines, db, listen)
    port = await line.start()
    print(f"Parley answers SIP calls on udp {listen[0]}:{port} (at most {config.server.max_sessions} at once)", flush=True)
    server = None
    if audiosocket:
        sockets = AudioSocketLine(config, engines, db)
        server = await asyncio.start_server(sockets.handle, *audiosocket)
        print(f"Parley answers AudioSocket calls on tcp {audiosocket[0]}:{audiosocket[1]}", flush=True)
    try:
        await until_stopped(engines.tts, config.server.drain_seconds)  # new calls hear 503 meanwhile
    finally:
        if server is not None:
            server.close()
        await line.stop()  # calls in progress end here, each saved as its brain closes


def main(config: Config, db: Path | None, listen: str | None, max_calls: int | None, audiosocket: str | None,
         log_content: bool = False) -> int:
    """`listen` and `max_calls`, from the command line, stand in for `[phone] listen` and `[server] max_sessions`."""
    sip = host_port(listen, "--listen") if listen else host_port(config.phone.listen, "[phone] listen")
    if max_calls is not None:
        config = dataclasses.replace(config, server=dataclasses.replace(config.server, max_sessions=max_calls))
    sockets = host_port(audiosocket, "--audiosocket") if audiosocket else None
    setup_logging(log_content)
    limit_arenas()  # before the models start their threads
    print("loading the speech models...", flush=True)
    asyncio.run(answer(config, load_engines(config), db, sip, sockets))
    return 0
