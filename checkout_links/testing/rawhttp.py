"""HTTP/1.1 over a bare socket: the framings a real client library would never send."""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass

from .servers import HOST


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def head(method: str, path: str, headers: dict[str, str]) -> bytes:
    """A request line and header block (``Host`` and ``Connection: close`` added)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunked(body: bytes, size: int = 64 * 1024) -> bytes:
    """``body`` in chunked transfer coding, with the closing zero chunk."""
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    out = [b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces]
    return b"".join(out) + b"0\r\n\r\n"


def parse(raw: bytes) -> RawResponse:
    """The status, headers (lower-cased names) and body of one response."""
    header_block, _, body = raw.partition(b"\r\n\r\n")
    lines = header_block.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawResponse(status, headers, body)


def exchange(
    port: int, data: bytes, *, close_write: bool = True, timeout: float = 30.0
) -> RawResponse:
    """Send ``data``, half-close the socket if asked, and read the answer until the server closes.

    A server may answer (and stop reading) before all of ``data`` is sent; a
    broken pipe on sending is then expected and the answer is still read.
    """
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        # OSError: a broken pipe, a reset, or "not connected" on the half-close.
        with contextlib.suppress(OSError):
            sock.sendall(data)
            if close_write:
                sock.shutdown(socket.SHUT_WR)
        chunks = []
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    raw = b"".join(chunks)
    assert raw, "the server closed the connection without answering"
    return parse(raw)


def stall_uploads(
    port: int, path: str, count: int, declared: int = 100_000, *, refusals_ok: bool = False
) -> list[socket.socket]:
    """``count`` open connections, each having sent a POST's headers and 10 of ``declared`` bytes.

    The caller closes them; until then each waits for the rest of its body. With
    ``refusals_ok``, a connection the server answered and closed at once is kept (and
    counted) too, instead of failing the call.
    """
    request = head("POST", path, {"Content-Type": "application/x-www-form-urlencoded"})
    request = request.replace(b"\r\n\r\n", f"\r\nContent-Length: {declared}\r\n\r\n".encode())
    socks = []
    try:
        for _ in range(count):
            sock = socket.create_connection((HOST, port), timeout=10)
            socks.append(sock)
            try:
                sock.sendall(request + b"email=a%40b")
            except OSError:
                if not refusals_ok:
                    raise
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    return socks
