"""`parley edge ...`: the satellite on this device's microphone and speaker."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from platformdirs import user_data_dir

from parley.configs.files import ConfigError
from parley.voice.app.cli import with_talk_options
from parley.voice.app.settings import Config


def satellite(config: Config, server: str, device_id: str | None, home: Path | None) -> int:
    token = os.environ.get("PARLEY_TOKEN", "")
    if not token:
        raise ConfigError("set PARLEY_TOKEN to the token the server was started with")
    home = home or Path(user_data_dir("parley")) / "satellite"
    # Imported here: `parley` loads this module for every command, and these bring the models' libraries.
    from parley.edge.run import default_device_id, run_satellite
    from parley.voice.app.commands.talk import TerminalView, in_terminal, local_audio
    from parley.voice.app.wiring import load_engines

    async def call() -> None:
        with local_audio(config) as (source, speaker):
            await run_satellite(config, load_engines(config), source, speaker, server,
                                device_id or default_device_id(), token, home, TerminalView())

    return in_terminal(call())


def add_parser(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """`parley edge ...` in the `parley` command line."""
    edge = commands.add_parser("edge", help="run on an edge device").add_subparsers(dest="edge_command", required=True)
    satellite = edge.add_parser("satellite", parents=[common],
                                help="speech on this device, dialogue and memory on `parley serve` (PARLEY_TOKEN)")
    satellite.add_argument("--server", required=True, help="the server's WebSocket, e.g. ws://192.168.1.10:8780/ws")
    satellite.add_argument("--device-id", help="how the server knows this device (default: from the host name)")
    satellite.add_argument("--home", type=Path, help="where the journal and offline memory live")
    calibrate = edge.add_parser("calibrate", parents=[common], help="measure this device, write the profile that fits")
    calibrate.add_argument("--out", type=Path, help="where to write the profile (TOML); default: print it")
    edge_bench = edge.add_parser("bench", parents=[common], help="turn latency as a satellite, against all on the device")
    edge_bench.add_argument("--turns", type=int, default=12, help="utterances")
    edge_bench.add_argument("--json", action="store_true", help="print one JSON document")
    install = edge.add_parser("install", parents=[common], help="a systemd unit for a satellite or a server")
    install.add_argument("--role", choices=["satellite", "server"], default="satellite")
    install.add_argument("--server", help="the satellite's server, e.g. ws://192.168.1.10:8780/ws")
    install.add_argument("--dry-run", action="store_true", help="print the unit and environment file, write nothing")


def run(args: argparse.Namespace, config: Config) -> int:
    """`parley edge COMMAND`."""
    if args.edge_command == "calibrate":
        from parley.edge.calibrate import main as calibrate

        return calibrate(config, args.out)
    if args.edge_command == "bench":
        from parley.edge.bench import main as bench

        return bench(config, args.config, args.turns, args.json)
    if args.edge_command == "install":
        from parley.edge.install import main as install

        return install(args.role, args.server, args.config, args.dry_run)
    return satellite(with_talk_options(config, args), args.server, args.device_id, args.home)
