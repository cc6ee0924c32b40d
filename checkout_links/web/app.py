"""The app factory: the web side's front door."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from checkout_links.core.config import Settings, load_settings
from checkout_links.web import (
    assets,
    bodies,
    extensions,
    pretty,
    problems,
    ratelimit,
    request_ids,
    stripe_webhook,
)
from checkout_links.web import health as ops
from checkout_links.web.api import openapi, order_actions
from checkout_links.web.api import promotions as promotions_api
from checkout_links.web.api import tax_rates as tax_rates_api
from checkout_links.web.api import views as merchant_api
from checkout_links.web.customer import headers, i18n, payment
from checkout_links.web.customer import views as checkout


class App(Flask):
    """Flask, with its per-call check for ``async def`` views and hooks done once per function.

    Flask asks ``inspect`` whether a function is a coroutine function on each
    call of each hook and view: seven times a cart page, about 1 % of its CPU.
    The answer never changes for a function, so it is kept.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synced: dict[Callable[..., Any], Callable[..., Any]] = {}

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """A year for a static file asked for by its current version (web/assets.py)."""
        return assets.max_age(filename)

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        synced = self._synced.get(func)
        if synced is None:
            if len(self._synced) > 1_000:
                self._synced.clear()  # a function made per request (after_this_request)
            synced = self._synced[func] = super().ensure_sync(func)
        return synced


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the WSGI app.

    ``test_config`` may hold ``SETTINGS`` (a :class:`Settings` or a dict of
    overrides for the environment) and ``REDIS_CLIENT`` (a ready client).
    """
    config = dict(test_config or {})
    given = config.pop("SETTINGS", None)
    settings = given if isinstance(given, Settings) else load_settings(given)
    app = App(__name__)
    app.config.update(config)
    app.config["CHECKOUT_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    i18n.init_app(app)
    assets.init_app(app)
    request_ids.init_app(app)
    # Before the rate limiter's hook: a refused body is not processed, nor counted.
    bodies.init_app(app, settings.max_body_bytes)
    problems.init_app(app)
    extensions.init_app(app)
    ops.init_app(app)
    app.register_blueprint(merchant_api.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(promotions_api.bp)
    app.register_blueprint(order_actions.bp)
    app.register_blueprint(tax_rates_api.bp)
    app.register_blueprint(checkout.bp)
    app.register_blueprint(payment.bp)
    app.register_blueprint(stripe_webhook.bp)
    ratelimit.init_app(app)
    pretty.init_app(app)
    app.wsgi_app = headers.CustomerHeaders(app.wsgi_app)  # type: ignore[method-assign]
    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app
