"""gunicorn's gevent worker with two bounds for instances that face clients themselves.

A gevent worker holds a slow connection in a greenlet, up to
``worker_connections`` (1000) of them, but nothing stops one client from taking
them all: 2,100 uploads that never finish, from one address, stopped
``/healthz`` on every worker (issue 23). :class:`GuardedGeventWorker` adds:

* **a connection cap per client address** (``GUNICORN_CLIENT_CONNECTIONS``,
  100 by default, per worker; 0 turns it off): a connection beyond it gets a
  503 and is closed at once, so one address never holds more than a tenth of
  a worker's connections. Behind a proxy every client shares the proxy's
  address: raise it there, or let the proxy cap (``deploy/nginx.conf``).
* **a deadline to read each request** (``GUNICORN_REQUEST_READ_SECONDS``, 30 s
  by default), head and body together, from the connection's first byte (or
  the previous response): a client that trickles its request ends at the
  deadline as if it had hung up (the app answers 400 for a short body), so a
  connection cannot be held forever a byte at a time.

It also yields to the worker's other connections after each request
(``gevent.sleep(0)``). A gevent worker only switches greenlets when one waits
on I/O, and a request that never does (an issuance with warm caches,
``/healthz``) on a keep-alive connection whose next request is already there
held the worker: under ``wrk -c32`` issuance had a p50 of 4 ms and a p99 of
1.5 to 2.6 s, the starved connections' share; with the yield, p50 11 ms and p99
46 to 114 ms at the same req/s (docs/performance.md, "gevent: one busy connection held a
worker").

``deploy/gunicorn.conf.py`` and ``checkout-links serve`` run it whenever the
worker class is gevent; ``tests/system/test_slow_clients.py`` pins both bounds.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections import Counter
from typing import Any

import gevent
from gunicorn.workers.ggevent import GeventWorker

#: The worker class to give gunicorn (``worker_class``) for gevent.
WORKER_CLASS = "checkout_links.serving.gevent_worker.GuardedGeventWorker"

_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 10\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 32\r\nConnection: close\r\n\r\nToo many connections from you.\r\n"
)


def _env_number(name: str, default: float, minimum: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise RuntimeError(f"{name} must be at least {minimum:g}, got {raw}")
    return value


def limits() -> tuple[int, float]:
    """The connections one client address may hold per worker (0: no cap) and the seconds a
    request may take to arrive, from the environment; a bad value raises RuntimeError."""
    cap = _env_number("GUNICORN_CLIENT_CONNECTIONS", 100, 0)
    if cap != int(cap):
        raise RuntimeError(f"GUNICORN_CLIENT_CONNECTIONS must be a whole number, got {cap:g}")
    return int(cap), _env_number("GUNICORN_REQUEST_READ_SECONDS", 30.0, 1.0)


class DeadlineSocket:
    """A client socket whose reads end at a deadline: the request's, set when the first
    read of a request starts (on accept, then after each response)."""

    def __init__(self, sock: socket.socket, seconds: float) -> None:
        self._sock = sock
        self._seconds = seconds
        self._deadline = time.monotonic() + seconds
        self._answered = False

    def _left(self) -> float:
        now = time.monotonic()
        if self._answered:
            self._answered = False
            self._deadline = now + self._seconds
        return self._deadline - now

    def recv(self, size: int, *flags: int) -> bytes:
        left = self._left()
        if left <= 0:
            return b""  # read as the client hanging up: the request ends here
        self._sock.settimeout(left)
        try:
            return self._sock.recv(size, *flags)
        except TimeoutError:
            return b""
        finally:
            self._sock.settimeout(None)

    def recv_into(self, buffer: Any, size: int = 0, *flags: int) -> int:
        data = self.recv(size or len(buffer), *flags)
        buffer[: len(data)] = data
        return len(data)

    def send(self, data: bytes, *flags: int) -> int:
        self._answered = True
        return self._sock.send(data, *flags)

    def sendall(self, data: bytes, *flags: int) -> None:
        self._answered = True
        self._sock.sendall(data, *flags)

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        self._answered = True
        return self._sock.sendfile(file, offset, count)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class GuardedGeventWorker(GeventWorker):  # type: ignore[misc]
    """gunicorn's gevent worker with a per-address connection cap and a request-read
    deadline (see the module)."""

    def init_process(self) -> None:
        self.client_cap, self.read_seconds = limits()
        self.open_by_client: Counter[str] = Counter()
        super().init_process()

    def handle(self, listener: Any, client: socket.socket, addr: Any) -> None:
        host = str(addr[0]) if isinstance(addr, tuple) else ""
        if self.client_cap and self.open_by_client[host] >= self.client_cap:
            with contextlib.suppress(OSError):
                client.sendall(_BUSY)
            with contextlib.suppress(OSError):
                client.close()
            return
        self.open_by_client[host] += 1
        try:
            super().handle(listener, DeadlineSocket(client, self.read_seconds), addr)
        finally:
            self.open_by_client[host] -= 1
            if self.open_by_client[host] <= 0:
                del self.open_by_client[host]

    def handle_request(self, listener_name: Any, req: Any, sock: Any, addr: Any) -> None:
        super().handle_request(listener_name, req, sock, addr)
        # A turn for the worker's other connections before this one's next request:
        # a request that never waits on I/O (an issuance with warm caches) does not
        # yield by itself, so one busy keep-alive connection could hold the worker.
        gevent.sleep(0)
