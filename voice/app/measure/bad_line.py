"""A bad phone line on loopback: a UDP relay between a test phone and Parley that loses, delays and
reorders RTP packets by a seeded schedule (this kernel has no netem qdisc to do it)."""

from __future__ import annotations

import asyncio
import random
import typing
from dataclasses import dataclass

PACKET_SECONDS = 0.02
REORDER_HOLD = 2.5  # a reordered packet is held this many packet times: the next two overtake it


@dataclass(frozen=True)
class Impairment:
    """What the line does to each packet, each way."""

    loss_pct: float = 0.0
    burst: float = 1.0  # mean length of a run of lost packets (1: losses one at a time)
    jitter_ms: float = 0.0  # each packet delayed by 0 to this, at random
    reorder_pct: float = 0.0  # packets held back so that later ones arrive first
    seed: int = 1

    def __str__(self) -> str:
        return (f"{self.loss_pct:g}% lost (runs of {self.burst:g}), {self.jitter_ms:g} ms jitter, "
                f"{self.reorder_pct:g}% reordered")


class Schedule:
    """Sans-I/O: for each packet in turn, its delay in seconds, or None when it is lost. Losses
    follow a two-state (Gilbert) chain whose long-run rate is `loss_pct`, in runs of `burst`."""

    def __init__(self, impairment: Impairment):
        self.impairment = impairment
        self.random = random.Random(impairment.seed)
        self.losing = False
        self.lost = self.sent = 0

    def next_delay(self) -> float | None:
        self.losing = self._next_state()
        if self.losing:
            self.lost += 1
            return None
        self.sent += 1
        held = REORDER_HOLD * PACKET_SECONDS if self._chance(self.impairment.reorder_pct) else 0.0
        return held + self.random.uniform(0.0, self.impairment.jitter_ms) / 1000

    def _next_state(self) -> bool:
        rate, leave = self.impairment.loss_pct / 100, 1 / max(1.0, self.impairment.burst)
        if self.losing:
            return self.random.random() >= leave
        return rate > 0 and self.random.random() < rate * leave / (1 - rate)

    def _chance(self, pct: float) -> bool:
        return pct > 0 and self.random.random() < pct / 100


class _Side(asyncio.DatagramProtocol):
    """One of the relay's two sockets: what it receives goes out of the other, after its schedule's delay."""

    def __init__(self, schedule: Schedule):
        self.schedule = schedule
        self.transport: asyncio.DatagramTransport | None = None
        self.other: _Side | None = None
        self.toward: tuple[str, int] | None = None  # where the other socket sends what this one receives

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # On Python 3.11 a UDP socket's transport is no DatagramTransport subclass, though it is one in kind.
        self.transport = typing.cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        delay = self.schedule.next_delay()
        if delay is not None and self.other is not None and self.toward is not None:
            asyncio.get_running_loop().call_later(delay, self.other.send, data, self.toward)

    def send(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, addr)

    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])


class BadLine:
    """The relay: the phone's offer names `parley_side_port` (Parley sends there), and the phone
    sends to `phone_side_port`; each way has its own schedule, seeded apart."""

    def __init__(self, impairment: Impairment, host: str = "127.0.0.1"):
        self.impairment, self.host = impairment, host
        back = Impairment(**{**impairment.__dict__, "seed": impairment.seed + 1})
        self.from_phone, self.from_parley = _Side(Schedule(impairment)), _Side(Schedule(back))
        self.from_phone.other, self.from_parley.other = self.from_parley, self.from_phone

    async def open(self, phone: tuple[str, int]) -> None:
        """Bind both sockets; what Parley sends goes on to the phone at `phone`."""
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self.from_phone, local_addr=(self.host, 0))
        await loop.create_datagram_endpoint(lambda: self.from_parley, local_addr=(self.host, 0))
        self.from_parley.toward = phone

    def reaches(self, parley: tuple[str, int]) -> None:
        """Parley's RTP address, once its answer names it."""
        self.from_phone.toward = parley

    @property
    def phone_side_port(self) -> int:
        return self.from_phone.port()

    @property
    def parley_side_port(self) -> int:
        return self.from_parley.port()

    def counts(self) -> dict:
        """Packets lost and passed each way."""
        return {"to_parley": {"lost": self.from_phone.schedule.lost, "passed": self.from_phone.schedule.sent},
                "to_phone": {"lost": self.from_parley.schedule.lost, "passed": self.from_parley.schedule.sent}}

    def close(self) -> None:
        for side in (self.from_phone, self.from_parley):
            if side.transport is not None:
                side.transport.close()
