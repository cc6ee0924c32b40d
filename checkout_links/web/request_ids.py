"""Request ids: the proxy's ``X-Request-ID`` when it looks like one, else a new one.

The id is echoed in the response and carried by every log line of the request.
"""

from __future__ import annotations

import os
import re

from flask import Flask, Response, g, request

from checkout_links import logs

#: A request id we accept from the proxy: ASCII letters, digits and ``._-``.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def init_app(app: Flask) -> None:
    logs.configure(app.config["CHECKOUT_SETTINGS"].log_level)

    @app.before_request
    def _request_id() -> None:
        # From the environ: request.headers raises and catches a KeyError for a
        # header that is absent, as this one is on most requests.
        incoming = request.environ.get("HTTP_X_REQUEST_ID", "")
        # Accept the proxy's id only when it looks like one, so a client cannot
        # inject text into our logs through it. ASCII only, the same rule as
        # deploy/nginx.conf's.
        ok = incoming and _REQUEST_ID.fullmatch(incoming)
        request_id = g.request_id = incoming if ok else os.urandom(16).hex()
        g.request_id_reset = logs.REQUEST_ID.set(request_id)

    @app.after_request
    def _echo(response: Response) -> Response:
        response.headers["X-Request-ID"] = getattr(g, "request_id", "")
        token = g.pop("request_id_reset", None)
        if token is not None:
            logs.REQUEST_ID.reset(token)
        return response
