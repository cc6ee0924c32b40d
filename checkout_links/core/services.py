"""The objects one app instance works with, built once at start-up.

The web side keeps one :class:`Services` per app (``web.extensions``), the
worker and the CLI build their own with :func:`connect_services`; domain
modules receive what they need as arguments, so they stay usable without Flask.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from checkout_links.core.catalog.products import Catalog
from checkout_links.core.checkout.form_tokens import FormTokens
from checkout_links.core.config import Settings
from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import StoreUnavailable
from checkout_links.core.ledger.store import Ledger
from checkout_links.core.links.ids import LinkIds
from checkout_links.core.links.issue import Links
from checkout_links.core.links.token import TokenCodec
from checkout_links.core.merchants.store import Merchants
from checkout_links.core.payments.stripe import provider as stripe_provider
from checkout_links.core.payments.stripe.gateway import StripeGateway
from checkout_links.core.payments.transitions import OrderPayments
from checkout_links.core.promotions.codes import Promotions
from checkout_links.core.storage.connection import Redis, check_durability, connect, guarded

log = logging.getLogger(__name__)


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
    #: The payment transitions of orders (``core/payments/``).
    payments: OrderPayments


def build(settings: Settings, client: Redis) -> Services:
    """Wire the service objects for ``settings`` over ``client`` (its outages: StoreUnavailable)."""
    client = guarded(client)
    # provider_for("stripe") (the merchant API's refunds) builds over this process's Stripe.
    stripe_provider.factory(
        StripeGateway(settings.stripe_api_base), client, settings.order_retention_seconds
    )
    keyring = KeyRing(settings.secret_keys)
    codec = TokenCodec(keyring)
    catalog = Catalog(client, settings.cache_seconds)
    return Services(
        settings=settings,
        redis=client,
        keyring=keyring,
        codec=codec,
        catalog=catalog,
        merchants=Merchants(
            client, settings.cache_seconds, keyring=keyring, base_url=settings.base_url
        ),
        links=Links(settings, catalog, codec, LinkIds(keyring)),
        ledger=Ledger(
            client,
            settings.clock_skew_seconds,
            settings.ledger_retention_seconds,
            settings.order_retention_seconds,
        ),
        form_tokens=FormTokens(keyring),
        promotions=Promotions(client, int(settings.promotion_reservation_seconds * 1000)),
        payments=OrderPayments(client, keyring, settings.order_retention_seconds),
    )


def connect_services(settings: Settings, client: Redis | None = None) -> Services:
    """Connect to ``settings.redis_url`` and build the services (every process's start).

    An unset URL means the in-process fake; ``client``, when given, is used
    instead (tests hand one in). Warns about that fake and about Redis
    settings that can lose spends. Raises :class:`ConfigError` for a URL that
    cannot be used.
    """
    if client is None:
        client = connect(settings.redis_url)
        if settings.redis_url is None:
            log.warning(
                "CHECKOUT_REDIS_URL is not set: using an in-process fakeredis. "
                "Links, orders and merchants live only in this process and are lost at exit. "
                "Never run it with more than one process."
            )
            return build(settings, client)
    svc = build(settings, client)
    try:
        for warning in check_durability(svc.redis):
            log.warning("UNSAFE REDIS SETTING: %s", warning)
    except StoreUnavailable as exc:
        # The Redis error's own words (the address it tried).
        log.warning("Redis not reachable at start-up (%s)", exc.__cause__)
    return svc
