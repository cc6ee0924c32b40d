"""Logging: one line of JSON per record on stderr, with the request id.

Nothing logged may carry a token whole or personal data; callers log ids and
reasons, never request bodies.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import Any

from checkout_links.core.primitives.jsonutil import dumps

#: The id of the request being served, set by the web app for its duration.
REQUEST_ID: ContextVar[str | None] = ContextVar("checkout_request_id", default=None)
# "message" and "asctime" are set on a record by any other handler's formatter
# (pytest's, a Sentry hook): they would repeat "msg" and "ts" in our line.
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Format records as single-line JSON objects."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return dumps(entry).decode()


def configure(level: str = "INFO") -> None:
    """Install the JSON handler on the root logger once per process."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
