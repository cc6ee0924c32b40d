"""A real webhook endpoint on 127.0.0.1 for tests: scripted answers, every request recorded.

Each request takes the next action queued with :meth:`Receiver.plan` (then
:attr:`Receiver.default`):

* ``ok``: 200 with a small JSON body, after :attr:`Receiver.ok_delay` seconds;
* ``500``: 500;
* ``timeout``: answers nothing for :attr:`Receiver.slow_seconds` (then a late 200);
* ``reset``: closes the connection with a TCP RST before answering;
* ``redirect``: 302 to ``/elsewhere`` on this same server;
* ``huge``: 200 announcing and streaming 50 MB, noting whether the client hung up early;
* ``trickle``: 200, then one body byte every 50 ms for up to :attr:`Receiver.slow_seconds`,
  noting whether the client hung up early;
* ``trickle-head``: the same, but the status line and headers are what trickles;
* ``block``: holds the request until :attr:`Receiver.release` is set, then 200.

The receiver also counts TCP connections (a refused URL must not even connect)
and watches, per ``webhook-id``, how many requests are in flight at once.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

HUGE_BYTES = 50 * 1024 * 1024


@dataclass
class Received:
    """One request as the receiver saw it, and what it did with it."""

    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    action: str = ""
    bytes_sent: int = 0
    client_hung_up: bool = False
    finished: threading.Event = field(default_factory=threading.Event)
    #: Wall-clock time the request arrived (``time.time()``), for latency figures.
    at: float = field(default_factory=time.time)

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: Receiver

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.receiver.lock:
            self.receiver.connections += 1
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up are part of the tests; no tracebacks on stderr."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        self.server.receiver._handle(self)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads :attr:`Receiver.requests` instead."""

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # after a reset the files are closed
            super().finish()


class Receiver:
    """A threaded HTTP server on a free loopback port; use as a context manager."""

    def __init__(
        self, default: str = "ok", slow_seconds: float = 3.0, ok_delay: float = 0.0
    ) -> None:
        self.default = default
        self.slow_seconds = slow_seconds
        #: Holding each ``ok`` request a moment widens the window in which a second
        #: concurrent delivery of the same event would be seen in flight.
        self.ok_delay = ok_delay
        self.lock = threading.Lock()
        self.requests: list[Received] = []
        self.connections = 0
        self.release = threading.Event()
        #: Highest number of requests in flight at once, per webhook-id.
        self.max_in_flight: Counter[str] = Counter()
        self._in_flight: Counter[str] = Counter()
        self._queue: deque[str] = deque()
        self._closing = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._closing.set()
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def plan(self, actions: list[str]) -> None:
        """Queue actions for the next requests (then :attr:`default` applies)."""
        with self.lock:
            self._queue.extend(actions)

    def received(self, path: str = "/hook") -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def ids(self, action: str | None = None) -> Counter[str]:
        """How many requests each webhook-id made (only those answered with ``action``)."""
        with self.lock:
            return Counter(
                r.webhook_id for r in self.requests if action is None or r.action == action
            )

    def wait_for(self, what: str, check: Callable[[], bool], timeout: float = 15.0) -> None:
        """Poll ``check`` until true; fail with ``what`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            time.sleep(0.01)

    def _handle(self, handler: _Handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        rec = Received(
            path=handler.path,
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
        )
        with self.lock:
            rec.action = self._queue.popleft() if self._queue else self.default
            self.requests.append(rec)
            self._in_flight[rec.webhook_id] += 1
            now = self._in_flight[rec.webhook_id]
            self.max_in_flight[rec.webhook_id] = max(self.max_in_flight[rec.webhook_id], now)
        try:
            self._act(handler, rec)
        finally:
            with self.lock:
                self._in_flight[rec.webhook_id] -= 1
            rec.finished.set()

    def _act(self, handler: _Handler, rec: Received) -> None:
        action = rec.action
        if action == "reset":
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            handler.rfile.close()
            handler.wfile.close()
            handler.connection.close()
            handler.close_connection = True
            return
        if action == "huge":
            self._stream_huge(handler, rec)
            return
        if action in ("trickle", "trickle-head"):
            self._trickle(handler, rec, head=action == "trickle-head")
            return
        if action == "timeout":
            self._closing.wait(self.slow_seconds)
            handler.close_connection = True
        elif action == "block":
            self.release.wait(60)
        elif action == "ok" and self.ok_delay:
            time.sleep(self.ok_delay)
        if action == "redirect":
            self._send(handler, 302, b"", {"Location": f"{self.url}/elsewhere"})
        elif action == "500":
            self._send(handler, 500, b'{"error":"boom"}')
        else:
            self._send(handler, 200, b'{"received":true}')

    @staticmethod
    def _send(
        handler: _Handler, status: int, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        with contextlib.suppress(OSError):
            handler.send_response(status)
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

    @staticmethod
    def _stream_huge(handler: _Handler, rec: Received) -> None:
        handler.close_connection = True
        chunk = b"x" * 65536
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/octet-stream")
            handler.send_header("Content-Length", str(HUGE_BYTES))
            handler.end_headers()
            while rec.bytes_sent < HUGE_BYTES:
                handler.wfile.write(chunk)
                rec.bytes_sent += len(chunk)
        except OSError:
            rec.client_hung_up = True

    def _trickle(self, handler: _Handler, rec: Received, *, head: bool) -> None:
        handler.close_connection = True
        end = time.monotonic() + self.slow_seconds
        try:
            if head:
                drip = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Pad: "
            else:
                handler.send_response(200)
                handler.send_header("Content-Type", "application/octet-stream")
                handler.send_header("Content-Length", str(HUGE_BYTES))
                handler.end_headers()
                drip = b""
            while time.monotonic() < end and not self._closing.is_set():
                handler.wfile.write(drip[:1] or b"x")
                drip = drip[1:]
                rec.bytes_sent += 1
                time.sleep(0.05)
            if head:
                handler.wfile.write(b"\r\n\r\n")
        except OSError:
            rec.client_hung_up = True
