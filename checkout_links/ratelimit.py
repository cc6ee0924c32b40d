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

from flask import Flask, Response, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from checkout_links import checkout, merchant_api
from checkout_links.config import Settings
from checkout_links.errors import RateLimited, render_error


def _api_key_id() -> str:
    # Only the key id (not the secret part) names the bucket, so the limiter's
    # keys never hold a usable credential.
    parts = request.headers.get("Authorization", "").removeprefix("Bearer ").split("_")
    return f"key:{parts[1]}" if len(parts) >= 3 else f"ip:{get_remote_address()}"


def storage_uri(settings: Settings) -> str:
    """Flask-Limiter's storage for our Redis URL (the ``limits`` library reads the same forms)."""
    return settings.redis_url or "memory://"


def init_app(app: Flask) -> None:
    settings: Settings = app.config["CHECKOUT_SETTINGS"]
    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        storage_uri=app.config.get("RATELIMIT_STORAGE_URI") or storage_uri(settings),
        strategy="moving-window",
        headers_enabled=False,  # Retry-After is set on 429s only, by our handler
        swallow_errors=True,
        key_prefix="cl:rl",
        enabled=settings.rate_limits_enabled,
    )
    limiter.limit(settings.rate_limit_api, key_func=_api_key_id)(merchant_api.bp)
    # The checkout blueprint's only POST is order placement.
    limiter.limit(settings.rate_limit_checkout, methods=["POST"])(checkout.bp)
    app.extensions["checkout_limiter"] = limiter

    @app.errorhandler(RateLimitExceeded)
    def _limited(exc: RateLimitExceeded) -> Response:
        reset_at = limiter.current_limit.reset_at if limiter.current_limit else time.time() + 1
        return render_error(RateLimited(math.ceil(reset_at - time.time())))
