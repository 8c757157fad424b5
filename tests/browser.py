"""Headless Chromium driven over the DevTools protocol (a WebSocket), for tests of the web page."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import shutil
import subprocess
import urllib.request
from contextlib import asynccontextmanager
from pathlib import Path

from websockets.asyncio.client import connect


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "the browser tests need chromium (apt-get install chromium; .ci/run installs it)"
    return path


class Page:
    def __init__(self, ws):
        self.ws = ws
        self._ids = itertools.count(1)

    async def call(self, method: str, **params) -> dict:
        number = next(self._ids)
        await self.ws.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            reply = json.loads(await self.ws.recv())
            if reply.get("id") == number:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    async def evaluate(self, expression: str, gesture: bool = False):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                                 awaitPromise=True, userGesture=gesture)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float):
        """The expression's value once it is truthy."""
        async with asyncio.timeout(timeout):
            while not (value := await self.evaluate(expression)):
                await asyncio.sleep(0.25)
            return value

    async def screenshot(self, path: Path) -> Path:
        shot = await self.call("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


@asynccontextmanager
async def chromium(url: str, profile: Path, flags: list[str]):
    """A headless Chromium showing `url`; yields its Page."""
    process = subprocess.Popen(
        [chromium_path(), "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
         f"--user-data-dir={profile}", "--window-size=1000,800", *flags, "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port = await _devtools_port(profile)
        targets = await asyncio.to_thread(_get_json, f"http://127.0.0.1:{port}/json/list")
        target = next(t for t in targets if t["type"] == "page")
        async with connect(target["webSocketDebuggerUrl"], max_size=None) as ws:
            page = Page(ws)
            await page.call("Page.navigate", url=url)
            yield page
    finally:
        process.terminate()
        process.wait(timeout=10)


async def _devtools_port(profile: Path, timeout: float = 30.0) -> int:
    active = profile / "DevToolsActivePort"
    async with asyncio.timeout(timeout):
        while not active.exists() or not active.read_text().strip():
            await asyncio.sleep(0.1)
    return int(active.read_text().split()[0])


def _get_json(url: str):
    with urllib.request.urlopen(url) as response:
        return json.loads(response.read())
