"""The payment state machine of an order: pure functions, no Redis.

Each function takes the order as stored and a report, and returns the
:class:`Change` to write (the new order and the one event it emits), or
``None`` when the report changes nothing (a repeat). Refused reports raise.
``payments/transitions.py`` writes a change atomically with its event.

=====================  ====================================  ====================
from                   report                                to (event)
=====================  ====================================  ====================
pending                paid, exact amount and currency       paid (order.paid)
canceled               paid, exact amount and currency       paid (order.paid) [1]
pending                failed attempt (new attempt id)       pending (order.payment_failed)
pending                cancel (merchant, or window expired)  canceled (order.canceled)
paid, part. refunded   refund of part of what is left        partially_refunded (order.refunded)
paid, part. refunded   refund of all that is left            refunded (order.refunded)
=====================  ====================================  ====================

[1] A payment that arrives after the order was canceled is never lost: the
order becomes paid (the merchant sees both events and decides).

Repeats change nothing: paid again with the same reference, a failed attempt
already recorded, a refund reference already recorded, cancel of a canceled
order (by the window; the API refuses it). Refused: an amount or currency that
differ (:class:`PaymentMismatch`, never paid), a second payment with another
reference (:class:`DuplicatePayment`), anything on ``not_required`` orders,
refunds of unpaid orders (409) or of more than is left (422).
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

import msgspec

from checkout_links.core.errors import (
    Conflict,
    DuplicatePayment,
    FieldError,
    PaymentMismatch,
    ValidationFailed,
)
from checkout_links.core.i18n.messages import INVALID
from checkout_links.core.money import quantize
from checkout_links.core.orders.build import no_payment
from checkout_links.core.primitives.clock import iso_ms
from checkout_links.core.records import EventType, Order, Payment, ProviderName, Refund

#: How many failed attempt references an order keeps (enough to recognise a repeat).
KEEP_FAILURES = 20
#: Statuses in which the order holds money.
PAID = ("paid", "partially_refunded")


class Change(NamedTuple):
    """A transition to write: the order after it and the event it emits."""

    order: Order
    event: EventType
    #: Whether the order leaves the shard's payments-due index (paid or canceled).
    settled: bool
    #: Whether the event sends the customer an email (the receipt of a card payment).
    mail: bool


def initial_payment(
    provider: ProviderName, total: Decimal, currency: str, created_ms: int, window_ms: int
) -> Payment:
    """The payment of a new order: ``not_required`` for provider ``none``, else ``pending``
    until ``window_ms`` after placing (a total of zero is paid at once)."""
    if provider == "none":
        return no_payment(currency)
    zero = quantize(Decimal(0), currency)
    if total == 0:
        return Payment(
            provider=provider,
            status="paid",
            amount_paid=zero,
            amount_refunded=zero,
            paid_at=iso_ms(created_ms),
        )
    return Payment(
        provider=provider,
        status="pending",
        amount_paid=zero,
        amount_refunded=zero,
        due_by=iso_ms(created_ms + window_ms),
    )


def payment_of(order: Order) -> Payment:
    """The order's payment; an order stored before payments existed is ``none``/``not_required``."""
    return order.payment if order.payment is not None else no_payment(order.currency)


def _with(order: Order, payment: Payment) -> Order:
    return msgspec.structs.replace(order, payment=payment)


def _takes_payment(order: Order, payment: Payment) -> None:
    if payment.status == "not_required":
        raise Conflict(f"Order {order.id} takes no payment through the service (provider none).")


def paid(order: Order, amount: Decimal, currency: str, reference: str, at_ms: int) -> Change | None:
    """The order paid by the payment ``reference`` of ``amount`` in ``currency``.

    Marks it paid only when both equal the order's total and currency.
    """
    payment = payment_of(order)
    _takes_payment(order, payment)
    if currency.upper() != order.currency or amount != order.total:
        raise PaymentMismatch(
            f"A payment of {amount} {currency.upper()} does not pay order {order.id} "
            f"({order.total} {order.currency}); it is not marked paid."
        )
    if payment.status in (*PAID, "refunded"):
        if payment.reference == (reference or None):
            return None
        raise DuplicatePayment(
            f"Order {order.id} is already paid by another payment.", reference=payment.reference
        )
    changed = msgspec.structs.replace(
        payment,
        status="paid",
        amount_paid=quantize(amount, order.currency),
        reference=reference or None,
        paid_at=iso_ms(at_ms),
    )
    return Change(_with(order, changed), "order.paid", True, payment.provider == "stripe")


def failed(order: Order, attempt: str, at_ms: int) -> Change | None:
    """A failed payment attempt ``attempt`` (the PSP's reference of it): the order stays
    ``pending``, so the customer may try again. Not pending, or seen before: nothing."""
    payment = payment_of(order)
    _takes_payment(order, payment)
    if payment.status != "pending" or attempt in payment.failed_attempts:
        return None
    attempts = (*payment.failed_attempts, attempt)[-KEEP_FAILURES:]
    changed = msgspec.structs.replace(payment, failed_attempts=attempts)
    return Change(_with(order, changed), "order.payment_failed", False, False)


def refunded(order: Order, amount: Decimal | None, reference: str, at_ms: int) -> Change | None:
    """A refund ``reference`` of ``amount`` (``None``: all that is left).

    A reference already recorded changes nothing. Unpaid: :class:`Conflict`;
    more than is left, or nothing: :class:`ValidationFailed`.
    """
    payment = payment_of(order)
    _takes_payment(order, payment)
    if any(r.reference == reference for r in payment.refunds):
        return None
    left = payment.amount_paid - payment.amount_refunded
    if payment.status not in PAID:
        if payment.status == "refunded" and amount is None:
            raise Conflict(f"Order {order.id} is already refunded in full.")
        if payment.status != "refunded":
            raise Conflict(f"Order {order.id} is not paid ({payment.status}): nothing to refund.")
    if amount is None:
        amount = left
    if amount <= 0 or amount > left:
        raise ValidationFailed(
            INVALID,
            errors=[
                FieldError(
                    ("body", "amount"),
                    f"Refund more than 0 and at most what is left: {left} {order.currency}.",
                )
            ],
        )
    total = payment.amount_refunded + amount
    changed = msgspec.structs.replace(
        payment,
        status="refunded" if total == payment.amount_paid else "partially_refunded",
        amount_refunded=quantize(total, order.currency),
        refunds=(
            *payment.refunds,
            Refund(
                reference=reference,
                amount=quantize(amount, order.currency),
                created_at=iso_ms(at_ms),
            ),
        ),
    )
    return Change(_with(order, changed), "order.refunded", False, False)


def canceled(order: Order, reason: str, at_ms: int) -> Change | None:
    """Cancel an order awaiting payment: ``merchant`` (the API) or ``expired`` (the window).

    Already canceled: nothing. Paid or refunded: :class:`Conflict`. ``expired``
    before the window ended: nothing.
    """
    payment = payment_of(order)
    _takes_payment(order, payment)
    if payment.status == "canceled":
        return None
    if payment.status != "pending":
        raise Conflict(f"Order {order.id} is {payment.status}: only a pending order is canceled.")
    if reason == "expired" and payment.due_by is not None and iso_ms(at_ms) < payment.due_by:
        return None
    changed = msgspec.structs.replace(
        payment,
        status="canceled",
        canceled_at=iso_ms(at_ms),
        cancel_reason="expired" if reason == "expired" else "merchant",
    )
    return Change(_with(order, changed), "order.canceled", True, False)
