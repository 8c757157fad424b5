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
