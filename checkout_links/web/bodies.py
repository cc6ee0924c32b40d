"""WSGI middleware: a request body reaches the app whole and within the limit, or not at all.

WSGI servers hand the app a stream and leave it to the app to notice what is
wrong with it. Read naively, a body that ends before its ``Content-Length``
(the client closed its side, or the connection broke) looks like a complete
shorter body: a form cut inside ``address=`` became an order with an empty
city. A chunked body has no declared length, and Werkzeug cuts it silently
at ``MAX_CONTENT_LENGTH``: a 2 MiB chunked form lost its later fields and
was placed. This middleware reads every body before the app sees it and
marks the request when the body is short (400) or over the limit (413,
whatever the framing); a before-request hook then raises the error, so the
view never runs and the answer is rendered like every other error.

Requests without a body pass through at the cost of two dictionary lookups.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask, request

from checkout_links.core.errors import BadRequest, PayloadTooLarge

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: The environ key that carries a refused body's verdict to the app.
VERDICT = "checkout_links.body"
_SHORT, _TOO_LARGE, _BAD_LENGTH = "short", "too large", "bad length"
_CHUNK = 64 * 1024


def _read_at_most(stream: io.RawIOBase | io.BufferedIOBase, limit: int) -> tuple[bytes, bool]:
    """Up to ``limit`` bytes of ``stream``, and whether it ended (read() gave b"") first."""
    parts: list[bytes] = []
    got = 0
    while got < limit:
        part = stream.read(min(_CHUNK, limit - got))
        if not part:
            return b"".join(parts), True
        parts.append(part)
        got += len(part)
    return b"".join(parts), False


class BodyGuard:
    """Read each request body up front; mark it short or too large rather than pass it on."""

    def __init__(self, app: WSGIApplication, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH")
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if (not length or length == "0") and not chunked:
            return self.app(environ, start_response)
        verdict = self._check(environ, length, chunked)
        if verdict is not None:
            environ[VERDICT] = verdict
            environ["wsgi.input"] = io.BytesIO(b"")
            environ["CONTENT_LENGTH"] = "0"
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)

    def _check(self, environ: WSGIEnvironment, length: str | None, chunked: bool) -> str | None:
        """Replace the input with the whole body and return None, or return why it is refused."""
        stream = environ["wsgi.input"]
        if chunked:
            # A server that de-chunks takes the framing off; the length is only
            # known at the end, so read one byte past the limit to tell.
            declared = None
            limit = self.max_bytes + 1
        else:
            assert length is not None  # narrowed by __call__
            if not length.isdigit():
                return _BAD_LENGTH
            declared = int(length)
            if declared > self.max_bytes:
                return _TOO_LARGE  # refused unread: no need to take in what will not be used
            limit = declared
        try:
            body, ended = _read_at_most(stream, limit)
        except (OSError, ValueError):
            # gunicorn raises IOError subclasses for a broken chunk and a
            # closed connection; either way the body is not whole.
            return _SHORT
        if declared is not None and len(body) < declared:
            return _SHORT
        if declared is None and not ended:
            return _TOO_LARGE
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return None


def _refuse_bad_body() -> None:
    verdict = request.environ.get(VERDICT)
    if verdict is None:
        return
    if verdict == _TOO_LARGE:
        raise PayloadTooLarge("The request body is over the size limit.")
    if verdict == _SHORT:
        raise BadRequest("The request body ended before its declared Content-Length.")
    raise BadRequest("The Content-Length header is not a number.")


def init_app(app: Flask, max_bytes: int) -> None:
    """Guard ``app``'s bodies; call it before the hooks that must not see a refused body."""
    app.before_request(_refuse_bad_body)
    app.wsgi_app = BodyGuard(app.wsgi_app, max_bytes)  # type: ignore[method-assign]
