"""Reconciliation: ask the PSP about orders still awaiting payment, and record what it says.

The browser's return and the PSP's webhook report a payment; if both are lost
(the app killed between the PSP's success and the order's update, a webhook
endpoint down for longer than the PSP retries), the order would stay
``pending`` though it was paid. This pass converges: it reads the shard's
payments-due index (every order awaiting payment, so no scan), takes those
placed at least ``settle_ms`` ago, asks each one's provider
(:meth:`~checkout_links.core.payments.provider.PaymentProvider.lookup`) and records a
payment the PSP reports as succeeded, through the same transition as the
other two reports (so a late one changes nothing and emits nothing).
Providers without a PSP (``manual``) answer ``None`` and are skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from checkout_links.core.crypto.encoding import text
from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import CheckoutError
from checkout_links.core.merchants.payment import payment_config
from checkout_links.core.merchants.store import Merchants
from checkout_links.core.orders.queries import load_order
from checkout_links.core.payments.provider import PaymentReport, apply_report, provider_for
from checkout_links.core.payments.state import payment_of
from checkout_links.core.payments.transitions import OrderPayments
from checkout_links.core.storage import redis_keys as keys

log = logging.getLogger(__name__)

#: Orders asked about per shard and pass.
BATCH = 50


def reconcile(
    payments: OrderPayments,
    merchants: Merchants,
    keyring: KeyRing,
    shards: Iterable[int],
    *,
    now_ms: int,
    window_ms: int,
    settle_ms: int,
    batch: int = BATCH,
) -> int:
    """Record the payments the PSPs report for orders of ``shards`` placed at least
    ``settle_ms`` before ``now_ms`` and still pending; returns how many were marked paid.

    An order's due score is its placing time plus ``window_ms``, so "placed before
    ``now_ms - settle_ms``" is a score range. A provider or PSP error skips the order
    (logged without personal data) until the next pass.
    """
    client = payments.client
    listed = list(shards)
    pipe = client.pipeline(transaction=False)
    for shard in listed:
        pipe.zrangebyscore(
            keys.payments_due(shard), "-inf", now_ms - settle_ms + window_ms, start=0, num=batch
        )
    paid = 0
    for members in pipe.execute():
        for member in members:
            try:
                paid += _reconcile_one(payments, merchants, keyring, text(member))
            except CheckoutError as exc:
                log.warning(
                    "reconciliation skipped an order",
                    extra={"order_id": text(member), "error": type(exc).__name__},
                )
    return paid


def _reconcile_one(
    payments: OrderPayments, merchants: Merchants, keyring: KeyRing, order_id: str
) -> int:
    order = load_order(payments.client, keyring, order_id)
    payment = payment_of(order)
    if payment.status != "pending" or payment.provider in ("none", "manual"):
        return 0
    config = payment_config(merchants.get(order.merchant_id), keyring)
    seen = provider_for(config).lookup(order)
    if seen is None or seen.status != "paid":
        return 0
    report = PaymentReport(
        kind="paid",
        order_id=order.id,
        event_id=f"reconcile:{seen.reference}",
        amount_minor=seen.amount_minor,
        currency=seen.currency,
        reference=seen.reference,
    )
    return 1 if apply_report(payments, order, report).changed else 0
