"""The framework floor: a bare Flask app doing the least each scenario must do.

It runs under the same ``deploy/gunicorn.conf.py`` as the service and answers
the same routes with bodies of the same size, so service/floor ratios show
what the service's own work costs on top of Flask, gunicorn, one Redis round
trip and the bytes on the wire. The harness passes the sizes it measured on
the service in ``BENCH_FLOOR_*``.
"""

from __future__ import annotations

import os

import msgspec
import redis
from flask import Flask, Response, request

app = Flask(__name__)

_redis = redis.Redis.from_url(os.environ["CHECKOUT_REDIS_URL"])
_LINK_BYTES = int(os.environ.get("BENCH_FLOOR_LINK_BYTES", "2000"))
_PAGE_BYTES = int(os.environ.get("BENCH_FLOOR_PAGE_BYTES", "4000"))
_LOCATION = os.environ.get("BENCH_FLOOR_LOCATION", "https://shop.example/thanks?order_id=x")
_HEAD = b"<!doctype html><html><head><title>Your order</title></head><body>"
_TAIL = b"</body></html>\n"
_PAGE = _HEAD + b"x" * max(0, _PAGE_BYTES - len(_HEAD) - len(_TAIL)) + _TAIL
# The service sends these on every customer page; the floor sends them too so
# the responses weigh the same on the wire.
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


@app.get("/healthz")
def healthz() -> Response:
    return Response(b'{"status":"ok"}', mimetype="application/json")


@app.post("/api/v1/links")
def issue() -> Response:
    """Parse the JSON body, one Redis GET, a JSON answer as long as the service's."""
    data = msgspec.json.decode(request.get_data())
    _redis.get("bench:floor:merchant")
    body = {"currency": data.get("currency"), "lines": len(data.get("products", [])), "pad": ""}
    pad = _LINK_BYTES - len(msgspec.json.encode(body))
    body["pad"] = "x" * max(0, pad)
    return Response(msgspec.json.encode(body), status=201, mimetype="application/json")


@app.get("/c/<token>")
def cart(token: str) -> Response:
    """One Redis GET and an HTML page as long as the service's cart page."""
    _redis.get("bench:floor:page")
    return Response(_PAGE, mimetype="text/html", headers=_PAGE_HEADERS)


@app.post("/c/<token>")
def place(token: str) -> Response:
    """Parse the form, one Redis ``SET NX`` (a fresh key per link), 303 like the service."""
    form = request.form
    value = form.get("csrf_token", "") + form.get("email", "")
    # The harness sends random tokens; their tail is a key no other request uses.
    if not _redis.set("bench:floor:o:" + token[-24:], value, nx=True):
        return Response(b"already used", status=409, mimetype="text/plain")
    return Response(status=303, headers={"Location": _LOCATION, **_PAGE_HEADERS})
