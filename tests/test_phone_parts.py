"""The phone line's parts without a call: caller ID, transfer targets, the keypad and its tones, the
packet speaker, AudioSocket framing, and what the dialogue does on a phone line."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime, time

import numpy as np
import pytest
from aiosipua import SipMessage

from parley.dialogue.domain import load_domain
from parley.dialogue.manager import DialogueManager
from parley.dialogue.moves import EndCall, Say, UserSaid
from parley.voice.app.phone import audiosocket
from parley.voice.app.phone.keypad import COLUMNS, KEYS, ROWS, Keypad, ToneDetector
from parley.voice.app.phone.line import caller_number, transfer_target
from parley.voice.app.phone.packets import PacketSpeaker
from parley.voice.audio import AudioChunk, AudioFormat


def invite(*headers: str):
    text = ("INVITE sip:parley@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK-7\r\n"
            "To: <sip:parley@127.0.0.1>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n" + "".join(h + "\r\n" for h in headers)
            + "Content-Length: 0\r\n\r\n")
    return SipMessage.parse(text.encode())


@pytest.mark.parametrize("headers, number", [
    (['From: "Sam" <sip:5551234@pbx.example.org>;tag=1'], "5551234"),
    (["From: <sip:+44 7700 900123@trunk>;tag=1"], "447700900123"),
    (["From: <tel:+1-555-0100>;tag=1"], "15550100"),
    (["From: <sip:anonymous@anonymous.invalid>;tag=1"], None),
    (["From: <sip:reception@pbx>;tag=1"], None),  # a name, not a number
    (["From: <sip:5551234@pbx>;tag=1", "P-Asserted-Identity: <sip:5559999@pbx>"], "5559999"),  # the PBX vouches
    (["From: <sip:5551234@pbx>;tag=1", "Privacy: id"], None),  # withheld
])
def test_the_calling_number_comes_from_the_pbx_or_the_caller_unless_withheld(headers, number):
    assert caller_number(invite(*headers)) == number


def test_a_staff_line_is_a_sip_uri_or_a_number_at_the_callers_pbx():
    call = invite("From: <sip:5551234@pbx.example.org:5060>;tag=1")
    assert transfer_target("201", call) == "sip:201@pbx.example.org:5060"
    assert transfer_target("sip:desk@restaurant.example", call) == "sip:desk@restaurant.example"


def test_the_keypad_gives_a_number_when_hash_ends_it_and_star_starts_again():
    keypad = Keypad()
    assert [keypad.press(key) for key in "55*0779#"] == [None] * 7 + ["0779"]
    assert keypad.press("#") is None  # hash alone types nothing


def tone(key: str, rate: int = 8000, ms: int = 80) -> np.ndarray:
    row = next(i for i, keys in enumerate(KEYS) if key in keys)
    t = np.arange(rate * ms // 1000) / rate
    pair = np.sin(2 * np.pi * ROWS[row] * t) + np.sin(2 * np.pi * COLUMNS[KEYS[row].index(key)] * t)
    return (6000 * pair).astype(np.int16)


def test_in_band_tones_are_heard_once_per_press_in_any_packet_size():
    gap = np.zeros(400, np.int16)
    pcm = np.concatenate([part for key in "0770090#" for part in (tone(key), gap)]).tobytes()
    detector = ToneDetector(8000)
    keys = [key for start in range(0, len(pcm), 320) for key in detector.feed(pcm[start:start + 320])]
    assert "".join(keys) == "0770090#"


def test_noise_and_a_held_vowel_are_no_keys():
    rng = np.random.default_rng(1)
    t = np.arange(8000 * 2) / 8000
    vowel = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 20))  # a voice's harmonics, 140 Hz apart
    for audio in (rng.normal(0, 3000, 16000), 3000 * vowel):
        assert ToneDetector(8000).feed(audio.astype(np.int16).tobytes()) == []


def test_the_packet_speaker_sends_whole_packets_counts_what_left_and_flushes_the_rest():
    async def scenario():
        speaker = PacketSpeaker(8000, ahead_seconds=10)
        await speaker.play(AudioChunk(np.full(8000, 1000, np.int16).tobytes(), AudioFormat(8000)))  # one second
        first = speaker.next_packet()
        speaker.duck(0.5)
        second = speaker.next_packet()
        sent, busy = speaker.played_seconds(), speaker.busy()
        dropped = speaker.flush()
        return first, second, sent, busy, dropped, speaker.busy(), speaker.next_packet()

    first, second, sent, busy, dropped, busy_after, silence = asyncio.run(scenario())
    assert len(first) == 320 and abs(np.frombuffer(first, np.int16)[80] - 1000) < 50
    assert abs(np.frombuffer(second, np.int16)[80] - 500) < 30  # ducked from the next packet on
    assert sent == pytest.approx(0.04) and busy
    assert dropped == pytest.approx(0.96) and not busy_after
    assert silence == bytes(320)


def test_the_packet_speaker_pads_a_replys_last_piece_and_then_is_done():
    async def scenario():
        speaker = PacketSpeaker(8000, ahead_seconds=10)
        await speaker.play(AudioChunk(np.full(100, 900, np.int16).tobytes(), AudioFormat(8000)))
        return speaker.next_packet(), speaker.busy(), speaker.played_seconds()

    packet, busy, played = asyncio.run(scenario())
    assert len(packet) == 320 and not busy and played == pytest.approx(100 / 8000)


def test_audiosocket_frames_are_type_length_payload():
    assert audiosocket.frame(audiosocket.HANGUP) == b"\x00\x00\x00"
    assert audiosocket.frame(audiosocket.AUDIO, b"\x01\x02") == b"\x10\x00\x02\x01\x02"

    async def read(data: bytes):
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return await audiosocket.read_frame(reader), await audiosocket.read_frame(reader)

    assert asyncio.run(read(b"\x03\x00\x015")) == ((audiosocket.DTMF, b"5"), (audiosocket.HANGUP, b""))
    assert asyncio.run(read(b"\x10\x00\x04\x01")) == ((audiosocket.HANGUP, b""), (audiosocket.HANGUP, b""))


def test_audiosocket_wants_the_calls_uuid_first():
    async def first(data: bytes):
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        return await audiosocket.read_uuid(reader)

    assert str(asyncio.run(first(b"\x01\x00\x10" + bytes(range(16))))) == "00010203-0405-0607-0809-0a0b0c0d0e0f"
    with pytest.raises(audiosocket.AudioSocketError, match="UUID first"):
        asyncio.run(first(b"\x10\x00\x02\x00\x00"))


class Empty:
    """A calendar with every table free."""

    def free_tables(self, day: date, at: time, ignoring: int | None = None) -> int:
        return 4

    def find(self, phone: str | None = None, name: str | None = None, today: date | None = None) -> list:
        return []


NOW = datetime(2026, 12, 4, 12, 0)


def manager(phone_line: bool, staff: str = "") -> DialogueManager:
    return DialogueManager(replace(load_domain(), staff_line=staff), Empty(), phone_line=phone_line)


def says(actions: list) -> str:
    return " ".join(action.text for action in actions if isinstance(action, Say))


def test_on_a_phone_line_a_number_missed_twice_is_offered_on_the_keypad():
    for phone_line in (True, False):
        dialogue = manager(phone_line)
        for line in ("A table for two tomorrow at 7 pm", "Sam Taylor", "purple", "purple"):
            reply = says(dialogue.handle(UserSaid(line), NOW))
        assert ("keypad" in reply) is phone_line


def test_asking_for_a_person_transfers_where_a_staff_line_is_set_and_says_when_otherwise():
    transferring = manager(True, staff="201").handle(UserSaid("Can I speak to someone please?"), NOW)
    assert transferring[-1] == EndCall(hand_over_to="201") and "put you through" in says(transferring)
    for dialogue in (manager(True), manager(False, staff="201")):
        reply = dialogue.handle(UserSaid("Could I talk to a real person?"), NOW)
        assert not any(isinstance(action, EndCall) for action in reply)
        assert "we're open" in says(reply)



def test_the_phone_line_takes_its_settings_from_the_phone_section(config, tmp_path):
    import socket

    from parley.voice.app.phone.line import PhoneLine

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = replace(config.phone, rtp_port_min=41000, rtp_port_max=41010)
    line = PhoneLine(replace(config, phone=settings), None, tmp_path / "p.db", ("127.0.0.1", port))  # type: ignore[arg-type]

    async def start_and_allocate() -> tuple[int, int]:
        started = await line.start()
        try:
            rtp, _ = await line.ports.allocate()
            return started, rtp
        finally:
            await line.stop()

    started, rtp = asyncio.run(start_and_allocate())
    assert started == port and 41000 <= rtp < 41010
