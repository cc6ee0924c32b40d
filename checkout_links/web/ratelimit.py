"""Rate limits (Flask-Limiter on the ledger's Redis).

Per verified API key on the merchant API (``CHECKOUT_RATE_LIMIT_API``; failed
authentication is counted per client address with the same limit) and per
client address on order placement (``CHECKOUT_RATE_LIMIT_CHECKOUT``); answered with
429 problem+json or page and ``Retry-After``. The counters share the ledger's
Redis so every instance counts together; if that store fails, requests are
let through (the ledger itself then answers 503).
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from flask import Flask, Response, g, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import parse_many
from redis.backoff import NoBackoff
from redis.retry import Retry

from checkout_links.core.config import Settings
from checkout_links.core.errors import RateLimited, Unauthorized
from checkout_links.core.storage.connection import parse_sentinel_url
from checkout_links.web.api import promotions as promotions_api
from checkout_links.web.api import views as merchant_api
from checkout_links.web.customer import payment
from checkout_links.web.customer import views as checkout
from checkout_links.web.problems import render_error

log = logging.getLogger(__name__)


def _remote() -> str:
    return get_remote_address() or "unknown"


class _ApiLimits:
    """The merchant API's limits, counted where they belong.

    A merchant's bucket counts only requests whose key verified (it is named
    by the key id, never by the secret, so the limiter's keys hold no usable
    credential); counted before authentication, six requests with a known key
    id and a wrong secret used up the merchant's budget. Failed
    authentication is counted per client address instead, with the same
    limit, and answered 429 once that address is over it. A request that
    authenticated pays the same one counter round trip as before.
    """

    def __init__(self, limiter: Limiter, spec: str) -> None:
        self.limiter = limiter
        self.items = parse_many(spec)

    def _hit(self, *identifiers: str) -> None:
        """Count one request in every window; raise RateLimited when one is full."""
        try:
            for item in self.items:
                if not self.limiter.limiter.hit(item, "cl:rl", *identifiers):
                    reset = self.limiter.limiter.get_window_stats(item, "cl:rl", *identifiers)
                    raise RateLimited(math.ceil(reset.reset_time - time.time()))
        except RateLimited:
            raise
        except Exception as exc:
            # As swallow_errors does for the limiter's own limits: a counter
            # that cannot be reached lets the request through. The class name
            # only: a connection error's text may name the store's address.
            log.warning("rate limit counter unavailable (%s); let through", type(exc).__name__)

    def count_merchant(self) -> None:
        """After authentication: the verified key's bucket (the address's for the open document)."""
        merchant = g.get("merchant")
        if merchant is None:
            self._hit("api", "ip", _remote())
            return
        key_id = request.headers.get("Authorization", "").split("_", 2)[1]
        self._hit("api", "key", key_id)

    def failed(self, exc: Unauthorized) -> Response:
        """A failed authentication: counted against the client's address, then answered."""
        try:
            self._hit("api", "auth-failed", _remote())
        except RateLimited as limited:
            return render_error(limited)
        return render_error(exc)


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
    api = _ApiLimits(limiter, settings.rate_limit_api)
    # Right after merchant_api's own authentication hook, which sets g.merchant.
    app.before_request_funcs.setdefault(merchant_api.bp.name, []).append(api.count_merchant)
    app.before_request_funcs.setdefault(promotions_api.bp.name, []).append(api.count_merchant)
    app.register_error_handler(Unauthorized, api.failed)
    # The checkout blueprint's only POST is order placement.
    limiter.limit(settings.rate_limit_checkout, methods=["POST"])(checkout.bp)
    # Card attempts count like placements (Stripe's webhook is not limited: it comes in bursts).
    limiter.limit(settings.rate_limit_checkout, methods=["POST"])(payment.bp)
    app.extensions["checkout_limiter"] = limiter

    @app.errorhandler(RateLimitExceeded)
    def _limited(exc: RateLimitExceeded) -> Response:
        reset_at = limiter.current_limit.reset_at if limiter.current_limit else time.time() + 1
        token = (request.view_args or {}).get("token")
        if request.blueprint == checkout.bp.name and isinstance(token, str):
            # The limit is counted before the view: the page still names the link's seller.
            checkout.remember_link(token)
        return render_error(RateLimited(math.ceil(reset_at - time.time())))
