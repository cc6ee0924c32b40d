"""Just enough HTTP/1.1 for :mod:`bench.openloop`: requests as bytes, and where a response ends.

Hand-rolled on purpose: the generator runs on the same two CPUs as the server
under test, and h11 took about ten times as much CPU to frame a 20 kB page
(~50 µs against ~4.4 µs, measured on this machine while it was shared).
"""

from __future__ import annotations


def response_length(buf: bytes | bytearray) -> tuple[int, int, bool] | None:
    """Parse the head of an HTTP/1.1 response in ``buf``.

    Returns (status, total length of the response in bytes, whether the server
    keeps the connection), or None while the response is incomplete. A response
    without a length ends when the server closes: its length is -1.
    """
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    head = bytes(buf[:head_end]).decode("latin-1").lower().split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = dict(line.split(":", 1) for line in head[1:] if ":" in line)
    keep = headers.get("connection", "").strip() != "close"
    body = head_end + 4
    if "content-length" in headers:
        total = body + int(headers["content-length"])
        return (status, total, keep) if len(buf) >= total else None
    if headers.get("transfer-encoding", "").strip() == "chunked":
        pos = body
        while True:
            line_end = buf.find(b"\r\n", pos)
            if line_end < 0:
                return None
            size = int(bytes(buf[pos:line_end]).split(b";")[0], 16)
            pos = line_end + 2 + size + 2  # chunk data and its CRLF (no trailers sent)
            if len(buf) < pos:
                return None
            if size == 0:
                return status, pos, keep
    if status in (204, 304) or 100 <= status < 200:
        return status, body, keep
    return status, -1, False


def get_request(host: str, port: int, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()


def post_form_request(host: str, port: int, path: str, form: str) -> bytes:
    body = form.encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
