"""The objects one app instance works with, built once at start-up.

Views reach them through :func:`services`; domain modules receive what they
need as arguments, so they stay usable without Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from flask import Flask, current_app

from checkout_links.catalog import Catalog
from checkout_links.config import Settings
from checkout_links.ledger import Ledger
from checkout_links.links import Links
from checkout_links.merchants import Merchants
from checkout_links.store import Redis
from checkout_links.tokens import FormTokens, KeyRing, LinkIds, TokenCodec


@dataclass(frozen=True)
class Services:
    settings: Settings
    redis: Redis
    keyring: KeyRing
    codec: TokenCodec
    catalog: Catalog
    merchants: Merchants
    links: Links
    ledger: Ledger
    form_tokens: FormTokens


def build(settings: Settings, client: Redis) -> Services:
    """Wire the service objects for ``settings`` over ``client``."""
    keyring = KeyRing(settings.secret_keys)
    codec = TokenCodec(keyring)
    catalog = Catalog(client, settings.cache_seconds)
    return Services(
        settings=settings,
        redis=client,
        keyring=keyring,
        codec=codec,
        catalog=catalog,
        merchants=Merchants(client, settings.cache_seconds),
        links=Links(settings, catalog, codec, LinkIds(keyring)),
        ledger=Ledger(client, settings.clock_skew_seconds, settings.ledger_retention_seconds),
        form_tokens=FormTokens(keyring),
    )


def init_app(app: Flask) -> None:
    settings = app.config["CHECKOUT_SETTINGS"]
    app.extensions["checkout"] = build(settings, app.extensions["checkout_redis"])


def services() -> Services:
    """The current app's services."""
    return cast(Services, current_app.extensions["checkout"])
