"""Rate limits (Flask-Limiter on the ledger's Redis).

Per API key on the merchant API (``CHECKOUT_RATE_LIMIT_API``) and per client
address on order placement (``CHECKOUT_RATE_LIMIT_CHECKOUT``); answered with
429 problem+json or page and ``Retry-After``. The counters share the ledger's
Redis so every instance counts together; if that store fails, requests are
let through (the ledger itself then answers 503).
"""

from __future__ import annotations

import math
import time
from typing import Any

from flask import Flask, Response, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from redis.backoff import NoBackoff
from redis.retry import Retry

from checkout_links.core.config import Settings
from checkout_links.core.errors import RateLimited
from checkout_links.core.store import parse_sentinel_url
from checkout_links.web import checkout, merchant_api
from checkout_links.web.problems import render_error


def _api_key_id() -> str:
    # Only the key id (not the secret part) names the bucket, so the limiter's
    # keys never hold a usable credential.
    parts = request.headers.get("Authorization", "").removeprefix("Bearer ").split("_")
    return f"key:{parts[1]}" if len(parts) >= 3 else f"ip:{get_remote_address()}"


def storage_uri(settings: Settings) -> str:
    """Flask-Limiter's storage for our Redis URL (the ``limits`` library reads the same forms)."""
    url = settings.redis_url or "memory://"
    if url.startswith("redis+sentinel://"):
        # limits takes the whole path as the service name ("/mymaster/0" would
        # name a service "mymaster0" and, errors being swallowed, silently
        # disable every limit): the path is the service alone; the db goes in
        # storage_options.
        head = url.partition("://")[2].partition("/")[0]
        url = f"redis+sentinel://{head}/{parse_sentinel_url(url).service}"
    return url


def storage_options(settings: Settings) -> dict[str, Any]:
    """Connection options for the limiter's Redis client.

    Without timeouts (the library's default) a silent Redis would hang every
    request in the limiter before the ledger could answer 503; a failed
    counter lets the request through (``swallow_errors``), so no retries.
    """
    url = settings.redis_url or ""
    if not url.startswith(("redis://", "rediss://", "unix://", "redis+")):
        return {}
    options: dict[str, Any] = {"socket_timeout": 2.0, "socket_connect_timeout": 2.0}
    if not url.startswith("redis+cluster://"):  # the cluster client's retry means re-routing
        options["retry"] = Retry(NoBackoff(), 0)
    if url.startswith("redis+sentinel://"):
        options["db"] = parse_sentinel_url(url).db
        options["sentinel_kwargs"] = {"socket_timeout": 2.0, "socket_connect_timeout": 2.0}
    return options


def init_app(app: Flask) -> None:
    settings: Settings = app.config["CHECKOUT_SETTINGS"]
    if not settings.rate_limits_enabled:
        # Not even the limiter's request hooks: switched off means no cost.
        return
    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        storage_uri=app.config.get("RATELIMIT_STORAGE_URI") or storage_uri(settings),
        storage_options={}
        if app.config.get("RATELIMIT_STORAGE_URI")
        else storage_options(settings),
        strategy="moving-window",
        headers_enabled=False,  # Retry-After is set on 429s only, by our handler
        swallow_errors=True,
        key_prefix="cl:rl",
    )
    limiter.limit(settings.rate_limit_api, key_func=_api_key_id)(merchant_api.bp)
    # The checkout blueprint's only POST is order placement.
    limiter.limit(settings.rate_limit_checkout, methods=["POST"])(checkout.bp)
    app.extensions["checkout_limiter"] = limiter

    @app.errorhandler(RateLimitExceeded)
    def _limited(exc: RateLimitExceeded) -> Response:
        reset_at = limiter.current_limit.reset_at if limiter.current_limit else time.time() + 1
        return render_error(RateLimited(math.ceil(reset_at - time.time())))
