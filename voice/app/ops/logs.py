"""Logs an operator can read: one JSON object per line when stderr is not a terminal, a call's id
and turn on every line of it, and what callers said (or their numbers) only with --log-content."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

CONTENT = "content"  # log.info(..., extra={CONTENT: {...}}): words or numbers, shown only with --log-content


@dataclass
class CallContext:
    call_id: str
    turn: int = 0  # the caller's turns so far; lines between turns carry the last one


CALL: ContextVar[CallContext | None] = ContextVar("parley_call", default=None)


@contextmanager
def in_call(call_id: str) -> Iterator[CallContext]:
    """Every line logged inside (and in tasks and threads started inside) names this call."""
    context = CallContext(call_id)
    token = CALL.set(context)
    try:
        yield context
    finally:
        CALL.reset(token)


class CallFilter(logging.Filter):
    """Stamps each record with its call and turn, and takes the content off unless it is wanted."""

    def __init__(self, content: bool):
        super().__init__()
        self.content = content

    def filter(self, record: logging.LogRecord) -> bool:
        call = CALL.get()
        record.call_id, record.turn = (call.call_id, call.turn) if call else (None, None)
        if not self.content:
            record.__dict__.pop(CONTENT, None)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                                "level": record.levelname.lower(), "logger": record.name,
                                "message": record.getMessage()}
        for key in ("call_id", "turn", CONTENT):
            if getattr(record, key, None) is not None:
                line[key] = getattr(record, key)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TerminalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        call_id, turn = getattr(record, "call_id", None), getattr(record, "turn", None)
        call = f" [{call_id} #{turn}]" if call_id else ""
        content = getattr(record, CONTENT, None)
        words = f" {json.dumps(content)}" if content else ""
        text = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname.lower()}{call} {record.getMessage()}{words}"
        return text + (f"\n{self.formatException(record.exc_info)}" if record.exc_info else "")


def setup_logging(content: bool = False, level: int = logging.INFO) -> None:
    """Parley's logs to stderr: JSON lines for journald and collectors, plain lines on a terminal."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(TerminalFormatter() if sys.stderr.isatty() else JsonFormatter())
    handler.addFilter(CallFilter(content))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)  # libraries stay quiet; Parley's own lines from `level` up
    logging.getLogger("parley").setLevel(level)
