"""Logging: one line of JSON per record on stderr, with the request id.

Nothing logged may carry a token whole or personal data; callers log ids and
reasons, never request bodies.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import Any

from flask import Flask, Response, g, has_request_context, request

from checkout_links.jsonutil import dumps

#: A request id we accept from the proxy: ASCII letters, digits and ``._-``.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
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
        if has_request_context():
            entry["request_id"] = getattr(g, "request_id", None)
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


def init_app(app: Flask) -> None:
    configure(app.config["CHECKOUT_SETTINGS"].log_level)

    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        # Accept the proxy's id only when it looks like one, so a client cannot
        # inject text into our logs through it. ASCII only, the same rule as
        # deploy/nginx.conf's.
        ok = incoming and _REQUEST_ID.fullmatch(incoming)
        g.request_id = incoming if ok else os.urandom(16).hex()

    @app.after_request
    def _echo(response: Response) -> Response:
        response.headers["X-Request-ID"] = getattr(g, "request_id", "")
        return response
