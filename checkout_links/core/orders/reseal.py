"""Sealing a merchant's stored orders again with the newest key (``checkout-links orders reseal``).

Run it after appending a secret to ``CHECKOUT_SECRET_KEYS`` and before removing
an older one: every order whose personal data is sealed with an older key (or
was stored before sealing) is sealed with the newest, its expiry kept. Orders
that no configured key opens are left as they are and counted, so a secret
removed too early can still be put back.
"""

from __future__ import annotations

from dataclasses import dataclass

from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import InvalidToken
from checkout_links.core.links.ids import link_rand_of_order
from checkout_links.core.orders.queries import merge_index_page
from checkout_links.core.orders.rewrite import rewrite
from checkout_links.core.orders.sealed import is_sealed_with_newest, seal, unseal
from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.connection import Redis


@dataclass(frozen=True, slots=True)
class Resealed:
    """What a reseal pass did: orders seen, sealed again, and not opened by any key."""

    seen: int
    resealed: int
    unopened: int


def reseal_orders(client: Redis, keyring: KeyRing, merchant_id: str, batch: int = 500) -> Resealed:
    """Seal every listed order of the merchant with the newest key; idempotent."""
    index_keys = [keys.order_index(part, merchant_id) for part in range(keys.INDEX_PARTS)]
    seen = resealed = unopened = 0
    cursor: str | None = None
    while True:
        ids, cursor = merge_index_page(client, index_keys, cursor, batch)
        for order_id in ids:
            key = keys.order(link_rand_of_order(order_id))
            raw = client.get(key)
            if raw is None:
                continue  # expired, its index member not trimmed yet
            seen += 1
            if is_sealed_with_newest(keyring, raw):
                continue
            try:
                unseal(keyring, raw, strict=True)
            except InvalidToken:
                unopened += 1
                continue
            # Compare-and-set (orders/rewrite.py): a payment change meanwhile is kept.
            if rewrite(client, key, lambda now: seal(keyring, unseal(keyring, now, strict=True))):
                resealed += 1
        if cursor is None:
            return Resealed(seen, resealed, unopened)
