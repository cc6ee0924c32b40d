"""Erasing a customer's personal data from an order (``DELETE /api/v1/orders/{id}/personal_data``).

The order keeps its id, link, lines, amounts and times; its customer,
``additional_data`` and ``custom_fields`` (the answers) become empty, and so does
every field of its ``delivery_address``
(which stays an object: the order did have physical lines), in the stored value
(sealed or not) and so in
everything built from it: the API, the webhook body of every delivery still to
come, exports. The order's event record holds no personal data (ids and
delivery state only). A receipt not yet sent is not sent: it has no address
left (its state becomes ``failed``, "no customer email address").
"""

from __future__ import annotations

import logging

from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.links.ids import link_rand_of_order
from checkout_links.core.orders.queries import decode_order, get_order
from checkout_links.core.orders.rewrite import rewrite
from checkout_links.core.orders.sealed import erased
from checkout_links.core.records import Order
from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.connection import Redis

log = logging.getLogger(__name__)


def erase_personal_data(client: Redis, keyring: KeyRing, merchant_id: str, order_id: str) -> Order:
    """Erase the personal data of the merchant's order; returns the order as it is now.

    Idempotent; :class:`~checkout_links.core.errors.NotFound` for another merchant's
    order or none. The value keeps its expiry (the order's retention).
    """
    get_order(client, keyring, merchant_id, order_id)  # another merchant's: NotFound
    # Compare-and-set (orders/rewrite.py): a payment change meanwhile is kept, not overwritten.
    rewrite(
        client,
        keys.order(link_rand_of_order(order_id)),
        lambda raw: erased(decode_order(keyring, raw)),
    )
    log.info("order personal data erased", extra={"order_id": order_id, "merchant_id": merchant_id})
    return get_order(client, keyring, merchant_id, order_id)
