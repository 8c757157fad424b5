"""`parley phone`: a SIP user agent that answers calls (aiosipua), speaks and listens over RTP
(aiortp, G.711), and runs each call as a Parley session through the one wiring."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from aiortp.port_allocator import PortAllocator
from aiosipua import CallSession, IncomingCall, SdpNegotiationError, SipRequest, SipUAC, SipUAS, UdpSipTransport

from parley.voice.app.ops.drain import CALLS
from parley.voice.app.ops.logs import CONTENT
from parley.voice.app.ops.metrics import refused
from parley.voice.app.phone.call import PhoneCall
from parley.voice.app.restaurants import Restaurant, by_number, load_restaurants
from parley.voice.app.settings import Config
from parley.voice.heap import give_back_freed
from parley.voice.reply import Engines

log = logging.getLogger(__name__)

CODECS = [0, 8]  # G.711 µ-law (PCMU), then A-law (PCMA): every phone and trunk has both
NUMBER = re.compile(r"^\+?[0-9][0-9 ().-]{2,24}$")
WITHHELD_PRIVACY = ("id", "user", "header")
ANY_ADDRESS = ("0.0.0.0", "")  # listening on every interface: each call is told the address it reached
HAND_OVER_SECONDS = 10.0  # how long a transfer may take before Parley hangs up on its side anyway


class _HarmlessStartError(logging.Filter):
    """aiosipua 0.7.1 asserts, as its UDP socket opens, that Python 3.11's UDP transport is a
    DatagramTransport (there it is not a subclass); its start() sets the transport anyway, so the
    traceback asyncio logs for it says nothing wrong: it is left out."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(error, AssertionError) and "_UdpProtocol.connection_made" in record.getMessage())


logging.getLogger("asyncio").addFilter(_HarmlessStartError())


def caller_number(invite: SipRequest) -> str | None:
    """The calling number, digits only, from P-Asserted-Identity (which a PBX or trunk sets) or
    From; None when withheld or not a number ("anonymous", a name)."""
    privacy = (invite.get_header("privacy") or "").lower()
    if any(token.strip() in WITHHELD_PRIVACY for token in privacy.split(";")):
        return None
    for header in ("p-asserted-identity", "from"):
        user = re.search(r"(?:sips?|tel):([^@;>]+)", invite.get_header(header) or "")
        if user and NUMBER.match(unquote(user.group(1))):
            return re.sub(r"\D", "", user.group(1))
    return None


def called_number(invite: SipRequest) -> str:
    """The number dialled: the request URI's user part (a PBX or trunk puts the DID there)."""
    found = re.match(r"^(?:sips?|tel):([^@;>]+)", str(invite.uri))
    return unquote(found.group(1)) if found else ""


def address_toward(remote: tuple[str, int]) -> str:
    """This machine's address as `remote` reaches it: what SDP and Contact must name when the line
    listens on every interface (0.0.0.0 would send the caller's audio nowhere)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(remote)  # UDP: no packet leaves; the kernel only picks the route
        return str(probe.getsockname()[0])


def transfer_target(staff_line: str, invite: SipRequest) -> str:
    """A SIP URI for the configured staff line: as given, or a number at the caller's PBX."""
    if re.match(r"^(sips?|tel):", staff_line):
        return staff_line
    host = re.search(r"sips?:(?:[^@;>]*@)?([^;>]+)", invite.get_header("from") or "")
    return f"sip:{staff_line}@{host.group(1) if host else '127.0.0.1'}"


@dataclass
class SipCall:
    """An answered SIP call: its signalling, its media, the call itself."""

    incoming: IncomingCall
    media: CallSession
    call: PhoneCall
    transferred: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class PhoneLine:
    """The SIP side: answers INVITEs (busy beyond `[server] max_sessions`), OPTIONS pings; one task per call.
    The line's settings are `[phone]`; `listen` is where SIP comes in, (HOST, PORT)."""

    config: Config
    engines: Engines
    db: Path | None
    listen: tuple[str, int]
    calls: dict[str, SipCall] = field(default_factory=dict)
    restaurants: dict[str, Restaurant] = field(init=False)
    tasks: set[asyncio.Task] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.restaurants = load_restaurants(self.config, self.db)

    async def start(self) -> int:
        """Listen for SIP; returns the port."""
        transport = UdpSipTransport(local_addr=self.listen)
        self.uac = SipUAC(transport)
        self.uas = SipUAS(transport, uac=self.uac, user_agent="Parley")
        self.uas.on_invite = self._invite
        self.uas.on_bye = self._bye
        self.uas.on_transfer_progress = self._transfer_progress
        self.ports = PortAllocator((self.config.phone.rtp_port_min, self.config.phone.rtp_port_max))
        await self.uas.start()
        return self.listen[1]

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.wait(list(self.tasks))
        await self.uas.stop()

    def _invite(self, incoming: IncomingCall) -> None:
        if CALLS.draining:
            refused("draining")
            incoming.reject(503, "Service Unavailable")  # stopping: the PBX tries another line or says so
            return
        if len(self.tasks) >= self.config.server.max_sessions:
            refused("busy")
            incoming.reject(486, "Busy Here")
            return
        if incoming.sdp_offer is None:
            incoming.reject(488, "Not Acceptable Here")  # no offer, no audio: this line takes only audio calls
            return
        restaurant = by_number(self.restaurants, called_number(incoming.invite))
        if restaurant is None:
            incoming.reject(404, "Not Found")  # a number no restaurant here answers
            return
        if restaurant.damaged:
            refused("damaged_database")
            incoming.reject(503, "Service Unavailable")  # its memory must be put right first (logged at start)
            return
        task = asyncio.create_task(self._answer(incoming, restaurant))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _bye(self, incoming: IncomingCall, request: SipRequest) -> None:
        sip = self.calls.get(incoming.call_id)
        if sip is not None:
            sip.call.hung_up.set()

    def _transfer_progress(self, call_id: str, status: int, reason: str) -> None:
        sip = self.calls.get(call_id)
        if sip is not None and status >= 200:
            sip.transferred.set()

    async def _answer(self, incoming: IncomingCall, restaurant: Restaurant) -> None:
        rtp_port, _ = await self.ports.allocate()
        try:
            sip = await self._connect(incoming, rtp_port, restaurant)
            if sip is not None:
                self.calls[incoming.call_id] = sip
                await self._converse(sip, restaurant)
        except Exception:
            log.exception("phone call %s failed", incoming.call_id)
        finally:
            if self.calls.pop(incoming.call_id, None) is not None:
                incoming.hangup()  # a call cut short (the line stopping, a failure) still gets its BYE; no-op after one
            await self.ports.release(rtp_port)
            give_back_freed()

    async def _connect(self, incoming: IncomingCall, rtp_port: int, restaurant: Restaurant) -> SipCall | None:
        """Answer with the codec both sides have, and start the media; None when there is none."""
        assert incoming.sdp_offer is not None
        host = self.listen[0]
        reached = address_toward(incoming.source_addr) if host in ANY_ADDRESS else host
        incoming.advertised_addr = (reached, self.listen[1])
        # Clocked playout: a packet not there by its deadline is concealed and the buffer follows the
        # line's jitter; the arrival-driven buffer instead waits for 16 packets (320 ms) before it gives
        # a lost one up, stalling the caller's audio at every loss.
        try:
            media = CallSession(host, rtp_port, incoming.sdp_offer, advertised_ip=reached, supported_codecs=CODECS,
                                playout=True, playout_max_delay_ms=self.config.phone.jitter_max_ms)
        except (SdpNegotiationError, ValueError) as error:
            log.info("call %s refused: %s", incoming.call_id, error)
            incoming.reject(488, "Not Acceptable Here")
            return None
        incoming.ringing()
        incoming.accept(media.sdp_answer)
        await media.start()
        call = PhoneCall(restaurant.config, media.codec_sample_rate, incoming.call_id)
        media.on_audio = lambda pcm, timestamp: call.audio(pcm)
        media.on_dtmf = lambda key, duration: call.event(key)
        return SipCall(incoming, media, call)

    async def _converse(self, sip: SipCall, restaurant: Restaurant) -> None:
        who = ("phone", number) if (number := caller_number(sip.incoming.invite)) else None
        try:
            send = sip.media.rtp_session.send_audio_pcm_auto
            hand_over_to = await sip.call.converse(self.engines, restaurant.db, who, send, self.config.phone.rtp_timeout, restaurant.domain)
        finally:
            await sip.media.close()
        if not sip.call.hung_up.is_set():
            await self._end(sip, hand_over_to)

    async def _end(self, sip: SipCall, hand_over_to: str) -> None:
        """Put the caller through to a person (REFER), or hang up (BYE)."""
        incoming = sip.incoming
        if hand_over_to:
            target = transfer_target(hand_over_to, incoming.invite)
            self.uac.advertised_addr = incoming.advertised_addr
            self.uac.send_refer(incoming.dialog, target, incoming.source_addr)
            try:
                await asyncio.wait_for(_either(sip.transferred, sip.call.hung_up), HAND_OVER_SECONDS)
            except TimeoutError:
                log.warning("call %s: transfer to staff not confirmed; hanging up", incoming.call_id,
                            extra={CONTENT: {"transfer_to": target}})
        if not sip.call.hung_up.is_set():
            incoming.hangup()


async def _either(*events: asyncio.Event) -> None:
    waits = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
