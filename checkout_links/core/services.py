"""The objects one app instance works with, built once at start-up.

The web side keeps one :class:`Services` per app (``web.extensions``), the
worker and the CLI build their own; domain modules receive what they need as
arguments, so they stay usable without Flask.
"""

from __future__ import annotations

from dataclasses import dataclass

from checkout_links.core.catalog.products import Catalog
from checkout_links.core.checkout.form_tokens import FormTokens
from checkout_links.core.config import Settings
from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.ledger.store import Ledger
from checkout_links.core.links.ids import LinkIds
from checkout_links.core.links.issue import Links
from checkout_links.core.links.token import TokenCodec
from checkout_links.core.merchants.store import Merchants
from checkout_links.core.promotions.codes import Promotions
from checkout_links.core.storage.connection import Redis, guarded


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
    promotions: Promotions


def build(settings: Settings, client: Redis) -> Services:
    """Wire the service objects for ``settings`` over ``client`` (its outages: StoreUnavailable)."""
    client = guarded(client)
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
        ledger=Ledger(
            client,
            settings.clock_skew_seconds,
            settings.ledger_retention_seconds,
            settings.order_retention_seconds,
        ),
        form_tokens=FormTokens(keyring),
        promotions=Promotions(client, int(settings.promotion_reservation_seconds * 1000)),
    )
