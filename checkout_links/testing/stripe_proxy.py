"""A fault injector between the service and (local) Stripe, on 127.0.0.1.

:class:`StripeProxy` forwards every request to its upstream at once, so Stripe
acts on it (a charge is made), and can then **hold the answer** of requests
whose path matches ``hold`` for ``hold_seconds``: the window in which a test
kills the app, between Stripe's success and the order's update. It can also be
switched ``down`` (every request answers 503 without reaching Stripe).
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import urlsplit

from checkout_links.testing.servers import HOST, free_port


class StripeProxy:
    """``with StripeProxy(upstream) as proxy:`` serves on ``proxy.url`` until the block ends."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or HOST, parts.port or 80)
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.hold: re.Pattern[str] | None = None
        self.hold_seconds = 0.0
        self.down = False
        #: Set when a held request reached Stripe and got its answer (the charge is made).
        self.held = threading.Event()
        self._server = ThreadingHTTPServer((HOST, self.port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet: tests read outcomes, not logs
                return

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if proxy.down:
                    self._answer(503, b'{"error": {"message": "down"}}', "application/json")
                    return
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                    conn.request(self.command, self.path, body=body, headers=headers)
                    answer = conn.getresponse()
                    data = answer.read()
                    ctype = answer.getheader("Content-Type", "application/json")
                    status = answer.status
                finally:
                    conn.close()
                if proxy.hold is not None and proxy.hold.search(self.path):
                    proxy.held.set()
                    time.sleep(proxy.hold_seconds)
                self._answer(status, data, ctype)

            def _answer(self, status: int, data: bytes, ctype: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the caller was killed while we held its answer: that is the point

            do_GET = do_POST = do_DELETE = _forward

        return Handler
