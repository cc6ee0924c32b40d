"""The app's Redis client and services, built once per app at start-up.

Views reach them through :func:`services`.
"""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app

from checkout_links.core.services import Services, connect_services


def init_app(app: Flask) -> None:
    """Build the app's services once, warning loudly about unsafe set-ups."""
    settings = app.config["CHECKOUT_SETTINGS"]
    app.extensions["checkout"] = connect_services(settings, app.config.get("REDIS_CLIENT"))


def services() -> Services:
    """The current app's services."""
    return cast(Services, current_app.extensions["checkout"])
