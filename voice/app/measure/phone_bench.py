"""`parley bench --phone`: turn latency measured at a SIP phone on loopback, from the last RTP packet
of the caller's speech to the first packet of the reply, beside the in-process figures; and how
well speech-to-text hears the bench utterances over G.711."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import tempfile
import time
from pathlib import Path

from parley.voice.app.measure.bad_line import BadLine, Impairment
from parley.voice.app.measure.bench import run_pipeline
from parley.voice.app.measure.scores import stats, word_error_rate
from parley.voice.app.measure.sip_caller import RATE, SipCaller
from parley.voice.app.measure.utterances import Utterance, synthetic_utterances, trim_end
from parley.voice.app.phone.line import PhoneLine
from parley.voice.app.settings import Config
from parley.voice.app.wiring import load_engines
from parley.voice.audio import resample
from parley.voice.reply import Engines

REPLY_OVER_SECONDS = 0.8  # quiet this long after a reply: the caller speaks again
NO_REPLY_SECONDS = 15.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def call_through(config: Config, engines: Engines, utterances: list[Utterance], db: Path,
                       impairment: Impairment | None = None) -> dict:
    """Say every utterance down the line (a bad one, given an `impairment`), a reply apart; dial
    again whenever Parley hangs up."""
    port = free_port()
    line = PhoneLine(config, engines, db, ("127.0.0.1", port))
    await line.start()
    latencies: list[float] = []  # to the reply's first packet
    audible_latencies: list[float] = []  # to its first packet loud enough to hear (Piper fades in over ~40 ms)
    early, unanswered, calls = 0, 0, 0
    caller: SipCaller | None = None
    lines: list[BadLine] = []
    try:
        for utterance in utterances:
            if caller is None or caller.hung_up_on.is_set():
                bad = BadLine(impairment) if impairment else None
                lines += [bad] if bad else []
                caller, calls = await _dial(port, caller, bad), calls + 1
            started = time.monotonic()
            last_packet = await caller.say(resample(trim_end(utterance.audio), config.audio.sample_rate, RATE))
            if caller.heard_loud(started, last_packet):
                early += 1  # Parley answered at a pause, before the caller had finished
            audible = await caller.reply_after(last_packet, NO_REPLY_SECONDS)
            first = await caller.reply_after(last_packet, 0.1, audible=False)
            if audible is None or first is None:
                unanswered += 1
            else:
                latencies.append((first - last_packet) * 1000)
                audible_latencies.append((audible - last_packet) * 1000)
            await caller.quiet(REPLY_OVER_SECONDS)
    finally:
        if caller is not None:
            await caller.hang_up()
        await line.stop()
        for bad in lines:
            bad.close()
    return {"calls": calls, **({"packets": _packets(lines)} if lines else {}), "turns_answered": len(latencies), "unanswered": unanswered, "answered_early": early,
            "rtp_turn_latency_ms": stats(latencies), "rtp_audible_latency_ms": stats(audible_latencies)}


def _packets(lines: list[BadLine]) -> dict:
    """Packets lost and passed each way, over every call."""
    return {way: {what: sum(bad.counts()[way][what] for bad in lines) for what in ("lost", "passed")}
            for way in ("to_parley", "to_phone")}


async def _dial(port: int, previous: SipCaller | None, bad: BadLine | None) -> SipCaller:
    if previous is not None:
        await previous.close()
    caller = SipCaller()
    await caller.dial(port, free_port(), line=bad)
    await caller.reply_after(0.0)  # the greeting
    await caller.quiet(REPLY_OVER_SECONDS)
    return caller


def server_latencies(db: Path) -> list[float]:
    """Turn latency as the server timed each phone turn (stored with it): from the last speech sample
    its VAD saw to the first reply sample handed to the packet speaker."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute("select trace from turns where role = 'agent' and trace is not null").fetchall()
    return [json.loads(trace)["total_ms"] for (trace,) in rows if json.loads(trace).get("total_ms")]


def heard_over_the_phone(db: Path) -> str:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("select text from turns where role = 'user' order by id").fetchall()
    return " ".join(text for (text,) in rows)


async def over_the_phone(config: Config, engines: Engines, utterances: list[Utterance],
                         impairment: Impairment | None = None) -> dict:
    """One pass of the utterances down a line, with what was heard and how long each turn took."""
    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "phone.db"
        phone = await call_through(config, engines, utterances, db, impairment)
        said = " ".join(utterance.text or "" for utterance in utterances)
        phone["telephone_wer"] = round(word_error_rate([(said, heard_over_the_phone(db))]), 4)
        phone["server_turn_latency_ms"] = stats(server_latencies(db))
    return phone


async def run_phone_bench(config: Config, turns: int, impairment: Impairment | None = None) -> dict:
    """The clean line and the in-process pipeline; and, given an `impairment`, the bad line too, in the same run."""
    engines = load_engines(config)
    utterances = synthetic_utterances(engines, turns, config.audio.sample_rate)
    phone = await over_the_phone(config, engines, utterances)
    bad = {"bad_line": {"impairment": impairment.__dict__, **await over_the_phone(config, engines, utterances, impairment)}} \
        if impairment else {}
    in_process = await run_pipeline(config, engines, utterances, streaming=True)
    return {"utterances": len(utterances), **phone, **bad, "in_process_turn_latency_ms": in_process["turn_latency_ms"],
            "in_process_wer": in_process["wer"]}


def render(report: dict) -> str:
    rtp, local = report["rtp_turn_latency_ms"], report["in_process_turn_latency_ms"]
    audible, server = report["rtp_audible_latency_ms"], report["server_turn_latency_ms"]
    return "\n".join([
        f"{report['utterances']} utterances over SIP on loopback (G.711 µ-law, 20 ms packets), {report['calls']} call(s): "
        f"{report['turns_answered']} answered, {report['unanswered']} not, {report['answered_early']} before the caller "
        "had finished",
        "",
        f"{'turn latency, ms':<34}{'p50':>8}{'p95':>8}",
        f"{'  at the phone (last RTP packet in':<34}",
        f"{'  to first RTP packet out)':<34}{_fmt(rtp['p50']):>8}{_fmt(rtp['p95']):>8}",
        f"{'  ... to the first audible packet':<34}{_fmt(audible['p50']):>8}{_fmt(audible['p95']):>8}",
        f"{'  as the server timed them':<34}{_fmt(server['p50']):>8}{_fmt(server['p95']):>8}",
        f"{'  in process, 16 kHz':<34}{_fmt(local['p50']):>8}{_fmt(local['p95']):>8}",
        "",
        f"word error rate: {report['telephone_wer']} over the phone, {report['in_process_wer']} in process",
        *_bad_line(report.get("bad_line")),
    ])


def _bad_line(bad: dict | None) -> list[str]:
    if bad is None:
        return []
    rtp, lost = bad["rtp_turn_latency_ms"], bad["packets"]["to_parley"]
    return ["", f"over a bad line ({Impairment(**bad['impairment'])}; {lost['lost']} of "
                f"{lost['lost'] + lost['passed']} packets to Parley lost): {bad['turns_answered']} answered, "
                f"{bad['unanswered']} not; turn latency at the phone p50 {_fmt(rtp['p50'])}, p95 {_fmt(rtp['p95'])} ms; "
                f"word error rate {bad['telephone_wer']}"]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def main(config: Config, turns: int, as_json: bool, impairment: Impairment | None = None) -> int:
    report = asyncio.run(run_phone_bench(config, turns, impairment))
    print(json.dumps(report, indent=2) if as_json else render(report))
    return 0
