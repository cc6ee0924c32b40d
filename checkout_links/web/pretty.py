"""JSON answers indented for a person at a terminal (curl), compact for programs.

``curl`` prints a body as it comes: one line of compact JSON is unreadable,
and without a final newline the shell's prompt is glued to it. Answers to a
``User-Agent`` of ``curl/...`` are therefore indented by two spaces and end
with a newline; every other client gets the same JSON, compact. The content
never differs (keys, order, values), only the whitespace; ``Vary: User-Agent``
tells caches so.
"""

from __future__ import annotations

import msgspec
from flask import Flask, Response, request

_JSON = frozenset({"application/json", "application/problem+json"})


def init_app(app: Flask) -> None:
    """Indent the JSON answers of requests made with curl."""
    app.after_request(_indent_for_curl)


def _indent_for_curl(response: Response) -> Response:
    # The header's media type by hand: ``response.mimetype`` parses the header's
    # options on each call, and this hook runs after every page, HTML ones included.
    mimetype = response.headers.get("Content-Type", "").partition(";")[0].strip().lower()
    if mimetype not in _JSON or response.is_streamed:
        return response
    # The header by hand: ``response.vary`` parses it into a set and writes it back.
    vary = response.headers.get("Vary")
    response.headers["Vary"] = f"{vary}, User-Agent" if vary else "User-Agent"
    if not request.environ.get("HTTP_USER_AGENT", "").startswith("curl/"):
        return response
    try:
        indented = msgspec.json.format(response.get_data(), indent=2)
    except msgspec.DecodeError:
        return response  # not ours to fix; sent as it is
    response.set_data(indented + b"\n")
    return response
