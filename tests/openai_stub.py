"""A scripted OpenAI-compatible server on loopback, for what a real model cannot be made to do on cue:
answer garbage, drop the connection mid-stream, or stall."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def chunk(delta: dict) -> bytes:
    body = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "stub",
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
    return f"data: {json.dumps(body)}\n\n".encode()


def tool_call(arguments: str, pieces: int = 4) -> list[bytes]:
    """The arguments streamed in `pieces` deltas, as servers stream them."""
    step = max(1, len(arguments) // pieces)
    parts = [arguments[i : i + step] for i in range(0, len(arguments), step)]
    first = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "interpret", "arguments": ""}}
    return [chunk({"role": "assistant", "tool_calls": [first]})] + [
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": part}}]}) for part in parts
    ]


def text(content: str) -> list[bytes]:
    return [chunk({"role": "assistant", "content": ""})] + [chunk({"content": w + " "}) for w in content.split(" ")]


class Script:
    """What the server does for each request, in order: a list of chunks, or 'drop' / 'stall' / 'garbage' / 'empty'."""

    def __init__(self):
        self.answers: list = []
        self.requests: list[dict] = []


class StubServer:
    def __init__(self):
        self.script = Script()
        script = self.script

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                script.requests.append(json.loads(self.rfile.read(length)))
                answer = script.answers.pop(0) if script.answers else "garbage"
                if answer == "stall":
                    time.sleep(3)
                    answer = text("Too late.")
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                if answer == "empty":  # what a server whose generation dies at once sends
                    return
                if answer == "garbage":
                    self.wfile.write(b"data: {this is not json\n\n")
                    return
                if answer == "drop":  # half a tool call, then the connection dies
                    self.wfile.write(tool_call('{"intent": "book", "party_size": 6}')[1])
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return
                try:
                    for piece in answer + [b"data: [DONE]\n\n"]:
                        self.wfile.write(piece)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading: as a real server, carry on


        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
