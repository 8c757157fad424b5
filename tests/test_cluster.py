"""Parley on two workers behind HAProxy on loopback: each restaurant owned by one worker and
replicated by Litestream; the owner of one is killed (SIGKILL) and the other takes it over."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI

from parley.voice import protocol
from parley.voice.app.cli import main as parley
from parley.voice.app.cluster.haproxy import Cluster, haproxy_config
from parley.voice.app.cluster.replicas import litestream_command
from parley.voice.app.measure.client import call
from parley.voice.audio import AudioFormat
from tests.test_phone import free_port
from tests.test_restaurants import two_restaurants


def worker(config, home, port: int) -> subprocess.Popen:
    """`parley serve` as a worker, its own data folder; returns once it listens."""
    command = [sys.executable, "-m", "parley.voice.app.cli", "--config", str(config), "--db", str(home / "parley.db"),
               "serve", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in process.stdout:
        if "listening" in line:
            return process
    raise RuntimeError(f"worker exited with {process.wait()}")


async def first_answer(url: str, lines, client_id: str, timeout: float = 60.0):
    """The first call that is answered, retried while HAProxy has no worker for it (503)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await call(url, lines, client_id)
        except (InvalidStatus, InvalidURI, OSError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def answered_after(url: str, since: float) -> float:
    """Seconds from `since` until a call to `url` is answered (`ready`), trying every 100 ms."""
    while True:
        try:
            async with connect(url) as ws:
                await ws.send(protocol.Hello("probe", AudioFormat(16000)).encode())
                if isinstance(protocol.parse_for_client(await ws.recv(decode=True)), protocol.Ready):
                    answered = time.monotonic() - since
                    await ws.send(protocol.Bye().encode())
                    return answered
        except (InvalidStatus, OSError, ConnectionClosed):
            pass
        await asyncio.sleep(0.1)


def reservations(db) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute("select name from reservations").fetchall()


@pytest.mark.system
def test_a_restaurant_whose_worker_dies_is_taken_over_with_its_memory(speak, tmp_path):
    if not shutil.which("haproxy"):
        pytest.skip("haproxy (Debian's package) is not installed")
    replica = f"file://{tmp_path / 'replica'}"
    ports = [free_port() for _ in range(3)]
    cluster = Cluster(f"127.0.0.1:{ports[0]}", (f"127.0.0.1:{ports[1]}", f"127.0.0.1:{ports[2]}"),
                      str(two_restaurants(tmp_path / "r")), replica)
    assert parley(["cluster", "--workers", ",".join(cluster.workers), "--restaurants", cluster.restaurants,
                   "--replica", replica, "--listen", cluster.listen, "--out", str(tmp_path / "cluster")]) == 0
    assert (tmp_path / "cluster" / "haproxy.cfg").read_text() == haproxy_config(cluster)
    homes = [tmp_path / "w1", tmp_path / "w2"]
    workers = [worker(tmp_path / "cluster" / "worker.toml", home, port) for home, port in zip(homes, ports[1:])]
    balancer = subprocess.Popen(["haproxy", "-db", "-f", str(tmp_path / "cluster" / "haproxy.cfg")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"ws://{cluster.listen}/r"
    booking = [speak(line, 1.1) for line in ("I'd like a table for two tomorrow at seven pm.", "My name is John Smith.",
                                             "My number is five five five, one two three four.", "Yes please.")]
    try:
        asyncio.run(first_answer(f"{base}/sole/ws", booking, "caller-7"))
        booked_at = time.monotonic()
        owner = next(n for n, home in enumerate(homes) if (home / "sole.db").exists() and reservations(home / "sole.db"))
        workers[owner].send_signal(signal.SIGKILL)  # no drain, no last sync: the worst case
        killed = time.monotonic()
        workers[owner].wait()
        unreachable = asyncio.run(asyncio.wait_for(answered_after(f"{base}/sole/ws", killed), 60))
        again = asyncio.run(first_answer(f"{base}/sole/ws", [speak("Hello.", 1.1)], "caller-7"))
        at_luna = asyncio.run(first_answer(f"{base}/luna/ws", [speak("Hello.", 1.1)], "caller-7"))
    finally:
        balancer.terminate()
        for process in workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # drains, stores, and Litestream syncs the rest
                process.wait(60)
        balancer.wait(10)
    with sqlite3.connect(homes[1 - owner] / "sole.db") as survivor:
        kept = survivor.execute("select count(*), max(s.ended is not null) from turns t join sessions s "
                                "on s.id = t.session_id where s.id = 1").fetchone()
    print(f"\nkilled {killed - booked_at:.2f} s after the booking call ended; sole unreachable {unreachable:.2f} s; "
          f"the booking call's turns restored: {kept[0]}, its end stored: {bool(kept[1])}")
    greeting = " ".join(m.text for m in again.of_type(protocol.Said))
    assert "John" in greeting  # the caller is recognized: the memory came over from the replica
    assert again.close_code == protocol.NORMAL
    survivor = homes[1 - owner]
    assert reservations(survivor / "sole.db") == [("John Smith",)]
    assert "John" not in " ".join(m.text for m in at_luna.of_type(protocol.Said))  # memory never crosses restaurants
    # The survivor replicated what it wrote after the takeover: the replica alone has every call.
    restored = tmp_path / "restored.db"
    subprocess.run([litestream_command(), "restore", "-o", str(restored), f"{replica}/sole"], check=True,
                   capture_output=True)
    with sqlite3.connect(restored) as connection:
        assert connection.execute("select count(*) from sessions").fetchone() == (3,)  # booking, probe, hello
        assert connection.execute("select name from reservations").fetchall() == [("John Smith",)]


@pytest.mark.parametrize("workers, replica, problem", [
    ((), "file:///r", "at least one worker"),
    (("127.0.0.1",), "file:///r", "HOST:PORT"),
    (("127.0.0.1:8781",), "/srv/replica", "Litestream URL"),
])
def test_a_cluster_without_workers_ports_or_a_replica_url_is_a_clear_error(workers, replica, problem):
    from parley.configs.files import ConfigError

    with pytest.raises(ConfigError, match=problem):
        Cluster("0.0.0.0:8780", workers, "/srv/restaurants", replica).check()


@pytest.mark.system  # starts another process
def test_the_generated_haproxy_configuration_is_one_haproxy_accepts(tmp_path):
    if not shutil.which("haproxy"):
        pytest.skip("haproxy (Debian's package) is not installed")
    cluster = Cluster("127.0.0.1:8780", ("10.0.0.11:8780", "10.0.0.12:8780", "10.0.0.13:8780"), "/srv/r", "s3://b/p")
    (tmp_path / "haproxy.cfg").write_text(haproxy_config(cluster))
    checked = subprocess.run(["haproxy", "-c", "-f", str(tmp_path / "haproxy.cfg")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert haproxy_config(cluster).count(" check\n") == 3
