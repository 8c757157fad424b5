"""`parley phone`: the SIP line, and Asterisk's AudioSocket when asked, until SIGINT or SIGTERM (then a drain)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from parley.configs.files import ConfigError
from parley.voice.app.ops.drain import until_stopped
from parley.voice.app.ops.logs import setup_logging
from parley.voice.app.phone.audiosocket import AudioSocketLine
from parley.voice.app.phone.line import PhoneLine, PhoneOptions
from parley.voice.app.wiring import load_engines
from parley.voice.config import Config
from parley.voice.heap import limit_arenas
from parley.voice.reply import Engines


def host_port(text: str, option: str) -> tuple[str, int]:
    """"HOST:PORT" (an IPv6 host in brackets) from the command line."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"{option} wants HOST:PORT, e.g. 127.0.0.1:5070, not {text!r}")
    return host.strip("[]"), int(port)


async def answer(config: Config, engines: Engines, db: Path | None, options: PhoneOptions,
                 audiosocket: tuple[str, int] | None) -> None:
    line = PhoneLine(config, engines, db, options)
    port = await line.start()
    print(f"Parley answers SIP calls on udp {options.host}:{port} (at most {options.max_calls} at once)", flush=True)
    server = None
    if audiosocket:
        sockets = AudioSocketLine(config, engines, db, options.max_calls, options.rtp_timeout)
        server = await asyncio.start_server(sockets.handle, *audiosocket)
        print(f"Parley answers AudioSocket calls on tcp {audiosocket[0]}:{audiosocket[1]}", flush=True)
    try:
        await until_stopped(engines.tts, config.server.drain_seconds)  # new calls hear 503 meanwhile
    finally:
        if server is not None:
            server.close()
        await line.stop()  # calls in progress end here, each saved as its brain closes


def main(config: Config, db: Path | None, listen: str, max_calls: int, audiosocket: str | None,
         log_content: bool = False) -> int:
    host, port = host_port(listen, "--listen")
    options = PhoneOptions(host, port, max_calls)
    sockets = host_port(audiosocket, "--audiosocket") if audiosocket else None
    setup_logging(log_content)
    limit_arenas()  # before the models start their threads
    print("loading the speech models...", flush=True)
    asyncio.run(answer(config, load_engines(config), db, options, sockets))
    return 0
