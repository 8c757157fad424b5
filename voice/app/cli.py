"""The `parley` command line: one subcommand per way of using Parley."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import typing
from importlib.metadata import entry_points, version
from pathlib import Path

from parley.configs.files import ConfigError
from parley.dialogue.types import StoreError
from parley.voice.app.measure.bad_line import Impairment
from parley.voice.app.settings import Config, load_config
from parley.voice.audio import AudioFormatError
from parley.voice.config import EchoMode
from parley.voice.models import ModelNotFoundError


def common_options(defaults: bool) -> argparse.ArgumentParser:
    """Options every subcommand takes, before or after its name."""
    parser = argparse.ArgumentParser(add_help=False)
    default = None if defaults else argparse.SUPPRESS  # after the name, only what was given overrides
    parser.add_argument("--config", type=Path, default=default, help="a TOML file overriding configs/default.toml")
    parser.add_argument("--db", type=Path, default=default,
                        help="the SQLite file Parley remembers in (default: user data dir)")
    parser.add_argument("--user", default=default, help="who is calling, so Parley can recognize them")
    return parser


LOG_CONTENT_HELP = ("put what callers said and numbers in the logs (off by default: logs must not keep what "
                    "memory forgets)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parley", description="An offline, real-time voice agent.",
                                     parents=[common_options(defaults=True)])
    parser.add_argument("--version", action="version", version=f"parley {version('parley')}")
    commands = parser.add_subparsers(dest="command", required=True)
    common = common_options(defaults=False)

    demo = commands.add_parser("demo", parents=[common], help="a scripted caller talks with Parley, no microphone needed")
    demo.add_argument("--out", type=Path, default=Path("parley-demo.wav"), help="where to write the audio")
    demo.add_argument("--turns", type=int, help="play only the first N caller lines")

    commands.add_parser("chat", parents=[common], help="the reservation line, typed; one caller line per input line")

    evaluate = commands.add_parser("eval", parents=[common], help="scenarios through the audio pipeline, scored")
    evaluate.add_argument("scenarios", nargs="?", type=Path, help="a scenario TOML file (default: the packaged set)")
    evaluate.add_argument("--against", type=Path, help="a second config to run side by side")
    evaluate.add_argument("--out", type=Path, default=Path("parley-eval"), help="where report.json and report.html go")
    evaluate.add_argument("--min-success", type=float, default=0.0, help="exit 1 when task success is below this (0-1)")
    evaluate.add_argument("--voice", action="append", dest="voices",
                          help="the caller's voice: piper (Parley's own), espeak:VOICE (an espeak-ng voice), "
                               "either with /phone for a telephone line; repeat for several")

    talk = commands.add_parser("talk", parents=[common], help="talk through the local microphone and speaker")
    talk.add_argument("--input-device", help="a microphone's name or number from `parley devices`")
    talk.add_argument("--output-device", help="a speaker's name or number from `parley devices`")
    talk.add_argument("--echo", choices=typing.get_args(EchoMode), help="how Parley keeps from hearing itself")
    commands.add_parser("devices", parents=[common], help="the audio devices `parley talk` can use")

    for plugin in command_plugins().values():
        plugin.add_parser(commands, common)

    server = commands.add_parser("serve", parents=[common], help="the web page and the WebSocket, on one port")
    server.add_argument("--host", default="127.0.0.1", help="where to listen; off loopback PARLEY_TOKEN must be set")
    server.add_argument("--port", type=int, default=8780, help="the port (0: any free one)")
    server.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                        help="another origin whose pages may connect, e.g. https://example.org (repeatable)")
    server.add_argument("--log-content", action="store_true", help=LOG_CONTENT_HELP)

    phone = commands.add_parser("phone", parents=[common], help="answer telephone calls: SIP (RTP, G.711), or "
                                "Asterisk's AudioSocket")
    phone.add_argument("--listen", metavar="HOST:PORT", help="where SIP calls come in (UDP; default [phone] listen)")
    phone.add_argument("--max-calls", type=int,
                       help="calls at once; beyond them a caller hears busy (486; default [server] max_sessions)")
    phone.add_argument("--audiosocket", metavar="HOST:PORT", help="also take calls from Asterisk's AudioSocket() here (TCP)")
    phone.add_argument("--log-content", action="store_true", help=LOG_CONTENT_HELP)

    cluster = commands.add_parser("cluster", parents=[common], help="HAProxy and worker configuration for Parley "
                                  "on several machines (docs/scale.md)")
    cluster.add_argument("--workers", required=True, help="each worker's HOST:PORT, comma-separated")
    cluster.add_argument("--restaurants", required=True, help="the folder of ID.toml restaurant files every worker serves")
    cluster.add_argument("--replica", required=True, help="the Litestream replica URL: file:///dir or s3://bucket/path")
    cluster.add_argument("--listen", default="0.0.0.0:8780", help="where HAProxy takes callers, HOST:PORT")
    cluster.add_argument("--out", type=Path, default=Path("parley-cluster"), help="where haproxy.cfg and worker.toml go")

    memory = commands.add_parser("memory", parents=[common], help="show, export or forget what Parley remembers; "
                                 "back the database up, restore it, or check it is whole")
    memory.add_argument("action", choices=["show", "export", "forget", "backup", "restore", "check"])
    memory.add_argument("file", nargs="?", type=Path, help="restore: the backup to put back")
    memory.add_argument("--out", type=Path, help="backup: where the copy goes")

    bookings = commands.add_parser("bookings", parents=[common], help="a day's bookings, and the calls that need a person")
    bookings.add_argument("--day", help="YYYY-MM-DD (default: today at the restaurant)")
    bookings.add_argument("--json", action="store_true", help="one JSON document")

    bench = commands.add_parser("bench", parents=[common], help="turn latency per stage, against a naive baseline")
    bench.add_argument("--turns", type=int, default=12, help="utterances per pipeline")
    bench.add_argument("--json", action="store_true", help="print one JSON document")
    bench.add_argument("--audio", type=Path, help="a folder of NAME.wav (and NAME.txt) to use instead")
    bench.add_argument("--clients", type=int, help="N simulated browsers over a WebSocket on loopback at once")
    bench.add_argument("--url", help="with --clients: call these running servers (WebSocket URLs, comma-separated, "
                       "taken in turn: e.g. two restaurants behind HAProxy) instead of starting one")
    bench.add_argument("--hard", action="store_true", help="turn-taking: pauses inside turns, backchannels and "
                       "barge-ins over replies, in voices that are not Parley's")
    bench.add_argument("--voices", help="with --hard: caller voices, comma-separated (default: three Flite, one espeak-ng)")
    bench.add_argument("--phone", action="store_true", help="over a SIP call on loopback: latency from the caller's "
                       "last RTP packet to the reply's first, and the word error rate over G.711")
    bench.add_argument("--loss", type=float, default=0.0, help="with --phone: also over a bad line losing this "
                       "percent of packets each way, beside the clean line")
    bench.add_argument("--burst", type=float, default=1.0, help="with --loss: mean run of packets lost together")
    bench.add_argument("--jitter", type=float, default=0.0, help="with --phone: the bad line delays each packet by "
                       "0 to this many ms")
    bench.add_argument("--reorder", type=float, default=0.0, help="with --phone: percent of packets overtaken")
    bench.add_argument("--minutes", type=float, help="a soak: the clients call back to back this long; the server's "
                       "memory, files, threads, database and latency per sixth of the run")
    return parser


def bad_line(args: argparse.Namespace) -> Impairment | None:
    """`parley bench --phone`'s bad line, when any of its options was given."""
    line = Impairment(loss_pct=args.loss, burst=args.burst, jitter_ms=args.jitter, reorder_pct=args.reorder)
    return line if line != Impairment(burst=line.burst) else None


def with_talk_options(config: Config, args: argparse.Namespace) -> Config:
    """The config with `parley talk`'s command-line choices put over it."""
    chosen: dict[str, typing.Any] = {key: getattr(args, key, None) for key in ("input_device", "output_device", "echo")}
    chosen = {key: value for key, value in chosen.items() if value is not None}
    return dataclasses.replace(config, talk=dataclasses.replace(config.talk, **chosen))


def command_plugins() -> dict:
    """Subcommands that other packages add (`parley edge`), found by entry point, so this CLI
    imports none of them: each has `add_parser(commands, common)` and `run(args, config)`."""
    return {point.name: point.load() for point in entry_points(group="parley.commands")}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config)
        if args.command == "demo":
            from parley.voice.app.commands.demo import main as demo

            return demo(config, args.out, args.db, args.user, args.turns)
        if args.command == "chat":
            from parley.voice.app.commands.chat import main as chat

            return chat(config, args.db, args.user)
        if args.command == "eval":
            from parley.voice.app.measure.eval import main as evaluate

            return evaluate(config, args.scenarios, args.against, args.out, args.min_success, args.voices)
        if args.command == "talk":
            from parley.voice.app.commands.talk import main as talk

            return talk(with_talk_options(config, args), args.db, args.user)
        if args.command == "devices":
            from parley.voice.app.commands.talk import devices

            return devices()
        plugins = command_plugins()
        if args.command in plugins:
            return plugins[args.command].run(args, config)
        if args.command == "serve":
            from parley.voice.app.server.web import main as serve

            return serve(config, args.db, args.host, args.port, tuple(args.allow_origin), args.log_content)
        if args.command == "cluster":
            from parley.voice.app.cluster.haproxy import Cluster
            from parley.voice.app.cluster.haproxy import main as cluster

            workers = tuple(w.strip() for w in args.workers.split(",") if w.strip())
            return cluster(Cluster(args.listen, workers, args.restaurants, args.replica), args.out)
        if args.command == "phone":
            from parley.voice.app.phone.service import main as phone

            return phone(config, args.db, args.listen, args.max_calls, args.audiosocket, args.log_content)
        if args.command == "memory":
            from parley.voice.app.commands.memory import main as memory

            if args.action == "check":
                from parley.voice.app.commands.memory import check

                return check(config, args.db)
            return memory(args.action, args.db, args.user, args.file or args.out)
        if args.command == "bookings":
            from parley.voice.app.commands.bookings import main as bookings

            return bookings(config, args.db, args.day, args.json)
        from parley.voice.app.measure.bench import main as bench

        if args.phone:
            from parley.voice.app.measure.phone_bench import main as phone_bench

            return phone_bench(config, args.turns, args.json, bad_line(args))
        if args.hard:
            from parley.voice.app.measure.hard import main as hard

            return hard(config, args.voices.split(",") if args.voices else None, args.json)
        if args.minutes:
            from parley.voice.app.measure.soak import main as soak

            return soak(config, args.config, args.clients or 1, args.minutes, args.turns, args.json)
        if args.clients:
            from parley.voice.app.measure.load import main as load

            urls = [url.strip() for url in (args.url or "").split(",") if url.strip()]
            return load(config, args.config, args.clients, args.turns, args.json, urls)
        return bench(config, args.turns, args.json, args.audio)
    except (ConfigError, ModelNotFoundError, AudioFormatError, StoreError, LookupError) as error:
        print(f"parley: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
