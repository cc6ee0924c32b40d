"""checkout-links: one-time checkout links for carts of dynamic products."""

from __future__ import annotations

from typing import Any

from flask import Flask

from checkout_links.config import Settings, load_settings


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the WSGI app.

    ``test_config`` may hold ``SETTINGS`` (a :class:`Settings` or a dict of
    overrides for the environment) and ``REDIS_CLIENT`` (a ready client).
    """
    from checkout_links import (
        checkout,
        errors,
        logs,
        merchant_api,
        metrics,
        ops,
        ratelimit,
        services,
        store,
    )

    config = dict(test_config or {})
    given = config.pop("SETTINGS", None)
    settings = given if isinstance(given, Settings) else load_settings(given)
    app = Flask(__name__)
    app.config.update(config)
    app.config["CHECKOUT_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    logs.init_app(app)
    errors.init_app(app)
    store.init_app(app)
    services.init_app(app)
    ops.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(merchant_api.bp)
    app.register_blueprint(checkout.bp)
    ratelimit.init_app(app)
    app.wsgi_app = checkout.CustomerHeaders(app.wsgi_app)  # type: ignore[method-assign]
    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app
