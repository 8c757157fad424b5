"""The web page in real headless Chromium: a fake microphone plays a caller, the page talks to `parley serve`."""

import asyncio
import sqlite3

import numpy as np
from PIL import Image

from parley.voice.audio import AudioChunk, resample
from parley.voice.wav import write_wav

from .browser import chromium
from .test_server import running

FAKE_MIC_RATE = 48000


def caller_wav(speak, path):
    """Quiet while the greeting plays, one question, then quiet for the answer; played once."""
    line = resample(speak("What time do you open on Sunday?", 1.1), 16000, FAKE_MIC_RATE)
    quiet = np.zeros(FAKE_MIC_RATE * 6, dtype=np.int16)
    return write_wav(path, AudioChunk.from_array(np.concatenate([quiet, line, quiet, quiet]), FAKE_MIC_RATE))


def test_the_page_hears_the_microphone_shows_the_conversation_and_plays_the_reply(config, engines, speak, tmp_path):
    wav = caller_wav(speak, tmp_path / "caller.wav")
    db = tmp_path / "parley.db"
    flags = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
             f"--use-file-for-fake-audio-capture={wav}%noloop", "--autoplay-policy=no-user-gesture-required"]

    async def scenario():
        async with running(config, engines, db) as url:
            page_url = url.replace("ws://", "http://").removesuffix("/ws") + "/"
            async with chromium(page_url, tmp_path / "profile", flags) as page:
                await page.wait_for("document.readyState === 'complete' && !!document.getElementById('talk')", 20)
                await page.evaluate("document.getElementById('talk').click()", gesture=True)
                await page.wait_for("document.getElementById('connection').dataset.state === 'open'", 20)
                heard = await page.wait_for(
                    "[...document.querySelectorAll('.line.user:not(.partial)')].map(e => e.textContent).join('|')", 40)
                await page.wait_for("!!document.querySelector('.latency')", 20)
                replies = await page.evaluate("[...document.querySelectorAll('.line.agent')].map(e => e.textContent)")
                await asyncio.sleep(1.0)  # a little more of the reply arrives and plays
                audio_seconds = float(await page.evaluate("document.getElementById('stats').dataset.seconds"))
                client_id = await page.evaluate("localStorage.getItem('parley-client-id')")
                shot = await page.screenshot(tmp_path / "page.png")
                await page.evaluate("document.getElementById('talk').click()", gesture=True)  # hang up
                await page.wait_for("document.getElementById('connection').dataset.state === 'closed'", 10)
                return heard, replies, audio_seconds, client_id, shot

    heard, replies, audio_seconds, client_id, shot = asyncio.run(scenario())
    print(f"screenshot: {shot}")
    assert "sunday" in heard.lower()
    assert replies[0].startswith("Hello") and any("Sunday" in reply for reply in replies[1:])
    assert audio_seconds > 4  # the greeting and the start of the answer reached the page
    with sqlite3.connect(db) as connection:
        assert connection.execute("select kind, value from identities").fetchall() == [("client", client_id)]
        roles = [r for (r,) in connection.execute("select role from turns order by id")]
    assert roles[:3] == ["agent", "user", "agent"]
    # The screenshot shows the turn's latency bar: far more of the endpoint wait's orange than its legend's key.
    pixels = {colour: count for count, colour in Image.open(shot).convert("RGB").getcolors(1 << 24)}
    assert pixels.get((0xF4, 0xA2, 0x59), 0) > 300


class CuttableLine:
    """A TCP relay between the browser and the server whose connections the test can cut, as a
    phone changing networks cuts them: no close frame either way."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.open: list[asyncio.StreamWriter] = []

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _relay(self, reader, writer) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.open += [writer, up_writer]
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True)

    async def _pipe(self, reader, writer) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    def cut(self) -> None:
        for writer in self.open:
            writer.transport.abort()
        self.open = []


def test_the_page_takes_a_dropped_call_up_again_by_itself(config, engines, speak, tmp_path):
    """The line under the page's socket is cut after the first question is answered (no close
    frame, as when a phone changes networks); the page reconnects with its session and the second
    question is heard and answered in the same call."""
    lines = [resample(speak(text, 1.1), 16000, FAKE_MIC_RATE) for text in ("What time do you open on Sunday?",
                                                                             "What is your address?")]
    quiet = np.zeros(FAKE_MIC_RATE * 8, dtype=np.int16)
    wav = write_wav(tmp_path / "caller.wav", AudioChunk.from_array(
        np.concatenate([quiet[: FAKE_MIC_RATE * 6], lines[0], quiet, quiet[: FAKE_MIC_RATE * 4], lines[1], quiet, quiet]),
        FAKE_MIC_RATE))
    db = tmp_path / "parley.db"
    flags = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
             f"--use-file-for-fake-audio-capture={wav}%noloop", "--autoplay-policy=no-user-gesture-required"]
    user_lines = "[...document.querySelectorAll('.line.user:not(.partial)')].length"

    async def scenario():
        async with running(config, engines, db) as url:
            line = CuttableLine(int(url.rsplit(":", 1)[1].removesuffix("/ws")))
            page_url = f"http://127.0.0.1:{await line.start()}/"
            async with chromium(page_url, tmp_path / "profile", flags) as page:
                await page.wait_for("document.readyState === 'complete' && !!document.getElementById('talk')", 20)
                await page.evaluate("document.getElementById('talk').click()", gesture=True)
                await page.wait_for("document.getElementById('connection').dataset.state === 'open'", 20)
                await page.wait_for("document.querySelectorAll('.latency').length >= 1", 40)
                line.cut()
                reconnecting = await page.wait_for(
                    "document.getElementById('connection').dataset.state === 'reconnecting'"
                    " && document.getElementById('connection').textContent", 10)
                await page.wait_for("document.getElementById('connection').textContent === 'reconnected'", 20)
                await page.wait_for(f"{user_lines} >= 2 && document.querySelectorAll('.latency').length >= 2", 40)
                heard = await page.evaluate(
                    "[...document.querySelectorAll('.line.user:not(.partial)')].map(e => e.textContent).join('|')")
                await page.evaluate("document.getElementById('talk').click()", gesture=True)  # hang up
                await page.wait_for("document.getElementById('connection').dataset.state === 'closed'", 10)
                return reconnecting, heard

    reconnecting, heard = asyncio.run(scenario())
    assert reconnecting.startswith("connection lost") and "address" in heard.lower()
    with sqlite3.connect(db) as connection:
        assert connection.execute("select count(*) from sessions").fetchone() == (1,)
        said = [text for (text,) in connection.execute("select text from turns where role = 'user' order by id")]
    assert len(said) == 2 and "sunday" in said[0].lower() and "address" in said[1].lower()
