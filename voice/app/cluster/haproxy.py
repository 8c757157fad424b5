"""`parley cluster`: the HAProxy configuration that routes each restaurant to the one worker that
owns it, and the `[server]` keys every worker runs with (docs/scale.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from parley.configs.files import ConfigError

CHECK_INTERVAL_MS = 1000  # a dead worker is marked down after FALL checks (about 2 s)
FALL = 2
RISE = 2
PER_ADDRESS_BEHIND_HAPROXY = 1000


@dataclass(frozen=True)
class Cluster:
    listen: str  # where HAProxy takes callers and staff, HOST:PORT
    workers: tuple[str, ...]  # each `parley serve`, HOST:PORT
    restaurants: str  # the folder of ID.toml files every worker serves
    replica: str  # the Litestream replica URL every worker restores from and replicates to

    def check(self) -> None:
        if not self.workers:
            raise ConfigError("parley cluster: give at least one worker, --workers HOST:PORT,HOST:PORT")
        bad = [w for w in (self.listen, *self.workers) if not w.rpartition(":")[2].isdigit()]
        if bad:
            raise ConfigError(f"parley cluster: {bad[0]!r} is not HOST:PORT")
        if "://" not in self.replica:
            raise ConfigError(f"parley cluster: --replica wants a Litestream URL (file:///dir, s3://bucket/path), "
                              f"not {self.replica!r}")


def haproxy_config(cluster: Cluster) -> str:
    """A restaurant (`/r/ID/...`: page, call, staff) goes to the worker its id hashes to, and stays
    there (a stick table) until that worker fails its health check: a worker that comes back takes
    no restaurant from the one that took it over, so a database never has two writers."""
    servers = "".join(f"    server worker{n} {address} check\n" for n, address in enumerate(cluster.workers, 1))
    return f"""# Written by `parley cluster`; see docs/scale.md.
global
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 2h  # a call is a WebSocket: as long as the caller talks
    timeout client-fin 5s

frontend parley
    bind {cluster.listen}
    default_backend workers

backend workers
    balance uri depth 2  # "/r/ID": every path of one restaurant hashes alike
    hash-type consistent
    stick-table type string len 64 size 100k
    stick on path,field(3,/)
    option httpchk GET /healthz
    default-server inter {CHECK_INTERVAL_MS} fall {FALL} rise {RISE} on-marked-down shutdown-sessions
{servers}"""


def worker_config(cluster: Cluster) -> str:
    return (f"# Every worker's --config (written by `parley cluster`): the same restaurants, the same replica.\n"
            f"[server]\nrestaurants = \"{cluster.restaurants}\"\nreplica = \"{cluster.replica}\"\n"
            f"# Every caller arrives from HAProxy's address: a limit per address would limit them all together.\n"
            f"max_per_address = {PER_ADDRESS_BEHIND_HAPROXY}\n")


def main(cluster: Cluster, out: Path) -> int:
    cluster.check()
    out.mkdir(parents=True, exist_ok=True)
    (out / "haproxy.cfg").write_text(haproxy_config(cluster))
    (out / "worker.toml").write_text(worker_config(cluster))
    print(f"wrote {out / 'haproxy.cfg'} and {out / 'worker.toml'}; start")
    print(f"  haproxy -f {out / 'haproxy.cfg'}")
    for address in cluster.workers:
        host, _, port = address.rpartition(":")
        print(f"  parley --config {out / 'worker.toml'} --db DATA_DIR/parley.db serve --host {host} --port {port}"
              "   (on its machine, PARLEY_TOKEN set off loopback)")
    return 0
