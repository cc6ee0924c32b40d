"""The app's Redis client and services, built once per app at start-up.

Views reach them through :func:`services`.
"""

from __future__ import annotations

import logging
from typing import cast

from flask import Flask, current_app

from checkout_links.core.errors import StoreUnavailable
from checkout_links.core.services import Services, build
from checkout_links.core.storage.connection import check_durability, connect

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Create the process's client and warn loudly about unsafe set-ups."""
    settings = app.config["CHECKOUT_SETTINGS"]
    client = app.config.get("REDIS_CLIENT") or connect(settings.redis_url)
    svc = app.extensions["checkout"] = build(settings, client)
    if settings.redis_url is None and app.config.get("REDIS_CLIENT") is None:
        log.warning(
            "CHECKOUT_REDIS_URL is not set: using an in-process fakeredis. "
            "Links, orders and merchants live only in this process and are lost at exit. "
            "Never run it with more than one process."
        )
    else:
        try:
            for warning in check_durability(svc.redis):
                log.warning("UNSAFE REDIS SETTING: %s", warning)
        except StoreUnavailable as exc:
            # The Redis error's own words (the address it tried), as before.
            log.warning("Redis not reachable at start-up (%s); /readyz will say 503", exc.__cause__)


def services() -> Services:
    """The current app's services."""
    return cast(Services, current_app.extensions["checkout"])
