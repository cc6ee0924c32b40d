"""Is the address ``serve`` or ``demo`` is told to listen on free? Asked before anything starts.

Gunicorn finds a busy port only after the app is built (and the demo has
printed its banner), then retries for seconds and exits with a traceback-like
line. A check first turns that into one sentence that says what to do.
"""

from __future__ import annotations

import contextlib
import errno
import socket


def split_bind(bind: str) -> tuple[str, int] | None:
    """``HOST:PORT`` (``[v6]:PORT`` too) as a host and a port; ``None`` for a Unix socket or fd.

    Raises ``ValueError`` with a sentence for anything else.
    """
    if bind.startswith(("unix:", "fd://")):
        return None
    host, colon, port = bind.rpartition(":")
    if not colon or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--bind {bind}: use HOST:PORT, such as 127.0.0.1:8000")
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104 - gunicorn's reading of ":8000"


def why_not_free(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on now, as a phrase; ``None`` when it can.

    Binds and closes a socket the way gunicorn will (``SO_REUSEADDR``, so a
    port in TIME_WAIT counts as free).
    """
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        return f"{host} is not an address of this machine"
    for family, kind, proto, _name, address in found:
        with contextlib.closing(socket.socket(family, kind, proto)) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return "another program is already listening there"
                if exc.errno == errno.EACCES:
                    return "this user may not listen there (ports below 1024 need privileges)"
                if exc.errno == errno.EADDRNOTAVAIL:
                    return f"{host} is not an address of this machine"
                return exc.strerror or str(exc)
    return None


def suggestion(host: str) -> str:
    """A ``HOST:PORT`` free right now to offer instead: on ``host``, or on 127.0.0.1 if it
    is not this machine's."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for candidate, kind in ((host, family), ("127.0.0.1", socket.AF_INET)):
        with contextlib.closing(socket.socket(kind, socket.SOCK_STREAM)) as probe:
            try:
                probe.bind((candidate, 0))
            except OSError:
                continue
            shown = f"[{candidate}]" if kind == socket.AF_INET6 else candidate
            return f"{shown}:{probe.getsockname()[1]}"
    return "127.0.0.1:8080"
