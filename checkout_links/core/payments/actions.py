"""What a merchant does to an order's payment: mark it paid, refund it, cancel it.

``POST /api/v1/orders/{id}/mark_paid``, ``/refund`` and ``/cancel`` call these;
each checks what the contract allows, then records the change through
:class:`~checkout_links.core.payments.transitions.OrderPayments` (one atomic
step, one event).
"""

from __future__ import annotations

import dataclasses
import time
from decimal import Decimal

from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import Conflict, DuplicatePayment, InvalidToken
from checkout_links.core.merchants.payment import PaymentConfig, payment_config
from checkout_links.core.orders.queries import load_order
from checkout_links.core.payments import state
from checkout_links.core.payments.provider import PaymentProvider, provider_for
from checkout_links.core.payments.transitions import OrderPayments
from checkout_links.core.records import Merchant, Order


def mark_paid(payments: OrderPayments, order: Order, reference: str | None) -> Order:
    """The merchant received a ``manual`` order's payment: ``paid`` (``order.paid`` once).

    Another provider's order: :class:`Conflict`. Already paid (or refunded since):
    the order unchanged, whatever the reference.
    """
    payment = state.payment_of(order)
    if payment.provider != "manual":
        raise Conflict(
            f"Order {order.id} is paid through provider {payment.provider!r}: only manual "
            "orders are marked paid."
        )
    if payment.status in (*state.PAID, "refunded"):
        return order
    try:
        return payments.record_paid(
            order.id, amount=order.total, currency=order.currency, reference=reference or ""
        ).order
    except DuplicatePayment:
        # A concurrent mark_paid won with its reference: this one changes nothing.
        return load_order(payments.client, payments.keyring, order.id)


def refund(
    payments: OrderPayments,
    merchant: Merchant,
    keyring: KeyRing,
    order: Order,
    amount: Decimal | None,
) -> Order:
    """Refund ``amount`` (``None``: all that is left) of a paid order: through the order's
    provider (Stripe refunds the card; ``manual`` and ``none`` record what the merchant
    did its own way), then recorded (``order.refunded``).

    Checked before the provider is asked: unpaid → :class:`Conflict`, more than is
    left → :class:`~checkout_links.core.errors.ValidationFailed`.
    """
    now_ms = int(time.time() * 1000)
    # Refused here exactly as recording it would be, before any money moves.
    probe = state.refunded(order, amount, "\x00probe", now_ms)
    if probe is None or probe.order.payment is None:  # pragma: no cover - a probe always changes
        raise Conflict("Nothing to refund.")
    payment = state.payment_of(order)
    refunded = probe.order.payment.refunds[-1].amount
    reference = _provider(merchant, keyring, order).refund(
        order, refunded, sequence=len(payment.refunds) + 1
    )
    return payments.record_refund(order.id, amount=refunded, reference=reference).order


def _provider(merchant: Merchant, keyring: KeyRing, order: Order) -> PaymentProvider:
    """The provider the order was paid with (the merchant may have changed since).

    The Stripe secrets are opened only for a Stripe order.
    """
    name = state.payment_of(order).provider
    if name != "stripe":
        return provider_for(PaymentConfig(provider=name))
    try:
        config = payment_config(merchant, keyring)
    except InvalidToken:
        raise Conflict(
            "The stored Stripe keys can no longer be read (CHECKOUT_SECRET_KEYS changed): "
            "send them again with PATCH /api/v1/account."
        ) from None
    return provider_for(dataclasses.replace(config, provider=name))


def cancel(payments: OrderPayments, order: Order) -> Order:
    """Cancel a ``pending`` order (``order.canceled``); any other status: :class:`Conflict`."""
    transition = payments.cancel(order.id, reason="merchant")
    if not transition.changed:
        raise Conflict(f"Order {order.id} is already canceled.")
    return transition.order
