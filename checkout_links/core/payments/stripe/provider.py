"""The ``stripe`` payment provider: the PSP-neutral interface over :mod:`.gateway`.

Every report of a payment (the customer's return, Stripe's webhook, the worker's
reconciliation) goes through :func:`settle`, which records what the
PaymentIntent **as Stripe holds it** says through the order's transitions
(``payments/transitions.py``): they are atomic and idempotent, so whichever report
comes first wins and the others change nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from checkout_links.core.errors import DuplicatePayment, PaymentMismatch
from checkout_links.core.merchants.payment import PaymentConfig, StripeKeys
from checkout_links.core.money import minor_units
from checkout_links.core.payments.provider import (
    PaymentReport,
    PaymentStart,
    PaymentState,
    idempotency_key,
    register,
)
from checkout_links.core.payments.state import payment_of
from checkout_links.core.payments.stripe import amounts, events
from checkout_links.core.payments.stripe.gateway import Intent, StripeGateway
from checkout_links.core.payments.stripe.intents import (
    OrderCharge,
    current_intent,
    intent_ids,
    usable,
)
from checkout_links.core.payments.transitions import OrderPayments
from checkout_links.core.records import Order, ProviderName
from checkout_links.core.storage.connection import Redis

log = logging.getLogger(__name__)

Outcome = Literal["paid", "failed", "pending", "canceled", "mismatch"]


def charge_of(order: Order) -> OrderCharge:
    """What Stripe must charge for ``order``; :class:`~.amounts.NotChargeable` if it cannot."""
    return OrderCharge(
        merchant_id=order.merchant_id,
        order_id=order.id,
        amount=amounts.to_minor(order.total, order.currency),
        currency=order.currency,
    )


@dataclass
class StripeProvider:
    """One merchant's Stripe, with the service's Redis (for the order's intents)."""

    keys: StripeKeys
    gateway: StripeGateway
    redis: Redis
    ttl_seconds: int
    name: ProviderName = "stripe"

    def intent(self, order: Order) -> Intent:
        """The order's one live PaymentIntent (created at the first call)."""
        return current_intent(
            self.redis, self.gateway, self.keys.secret_key, charge_of(order), self.ttl_seconds
        )

    def start(self, order: Order) -> PaymentStart:
        intent = self.intent(order)
        return PaymentStart(reference=intent.id, client_secret=intent.client_secret)

    def pay_with_card(self, order: Order, card: str) -> Intent:
        """Confirm the order's intent with the card Stripe.js made (``pm_...`` or ``tok_...``).

        The intent comes back charged, declined, or waiting for 3-D Secure.
        """
        intent = self.intent(order)
        if not usable(intent) or intent.status not in (
            "requires_payment_method",
            "requires_confirmation",
        ):
            return intent  # paid or in the bank's hands already: never confirm twice
        return self.gateway.confirm_with_card(self.keys.secret_key, intent.id, card)

    def latest(self, order: Order) -> Intent | None:
        """The order's newest intent as Stripe holds it now, or ``None`` before the first."""
        ids = intent_ids(self.redis, order.id)
        return self.gateway.retrieve(self.keys.secret_key, ids[-1]) if ids else None

    def verify_event(self, payload: bytes, headers: dict[str, str]) -> PaymentReport | None:
        event = events.verify(payload, headers.get("Stripe-Signature"), self.keys.webhook_secret)
        if event.intent is None or event.order_id is None:
            return None
        intent = event.intent
        kind: Literal["paid", "failed"] = "paid" if event.kind == "succeeded" else "failed"
        received = amounts.from_minor(intent.amount_received or intent.amount, intent.currency)
        minor = received.scaleb(minor_units(intent.currency))
        return PaymentReport(
            kind=kind,
            order_id=event.order_id,
            event_id=event.id,
            amount_minor=int(minor) if minor == minor.to_integral_value() else -1,
            currency=intent.currency,
            reference=intent.id,
        )

    def refund(self, order: Order, amount: Decimal, sequence: int) -> str:
        payment = payment_of(order)
        if not payment.reference:
            raise PaymentMismatch(f"Order {order.id} has no Stripe payment to refund.")
        minor = amounts.to_minor(amount, order.currency)
        key = idempotency_key(order, "refund", sequence)
        return self.gateway.refund(self.keys.secret_key, payment.reference, minor, key)

    def lookup(self, order: Order) -> PaymentState | None:
        intent = self.latest(order)
        if intent is None:
            return None
        status: Literal["pending", "paid", "failed", "canceled"] = "pending"
        if intent.succeeded:
            status = "paid"
        elif intent.status == "canceled":
            status = "canceled"
        elif intent.decline:
            status = "failed"
        # The neutral interface counts minor units as the currency has them (CLDR), which
        # is not always Stripe's count (ISK): convert through the exact amount.
        received = amounts.from_minor(intent.amount_received or intent.amount, intent.currency)
        minor = received.scaleb(minor_units(intent.currency))
        return PaymentState(
            status=status,
            reference=intent.id,
            amount_minor=int(minor) if minor == minor.to_integral_value() else -1,
            currency=intent.currency,
        )


def settle(
    payments: OrderPayments, provider: StripeProvider, order: Order, intent: Intent
) -> Outcome:
    """Record what ``intent`` says about ``order``; returns where the payment stands.

    ``paid`` only when the intent succeeded for exactly the order's total and
    currency (else ``mismatch``, nothing marked); a declined attempt is recorded
    once per intent (``order.payment_failed``) and the order stays pending.
    """
    if intent.metadata.get("order", order.id) != order.id:
        return "mismatch"
    if intent.succeeded:
        received = amounts.from_minor(intent.amount_received or intent.amount, intent.currency)
        try:
            payments.record_paid(
                order.id, amount=received, currency=intent.currency, reference=intent.id
            )
        except PaymentMismatch:
            log.error("stripe payment does not match its order", extra={"order_id": order.id})
            return "mismatch"
        except DuplicatePayment:
            # Paid already by another intent (never by design: a dead intent is canceled
            # before the next is made). Give the second charge back rather than keep it.
            key = idempotency_key(order, "duplicate", 0) + intent.id[-8:]
            provider.gateway.refund(provider.keys.secret_key, intent.id, intent.amount, key)
            log.error("second stripe payment refunded", extra={"order_id": order.id})
        return "paid"
    if intent.status == "canceled":
        return "canceled"
    if intent.decline and intent.status == "requires_payment_method":
        payments.record_failed(order.id, attempt=intent.id)
        return "failed"
    return "pending"


def factory(gateway: StripeGateway, redis: Redis, ttl_seconds: int) -> None:
    """Make ``provider_for`` build the stripe provider over ``gateway`` and ``redis``."""

    def build(config: PaymentConfig) -> StripeProvider:
        assert config.stripe is not None
        return StripeProvider(config.stripe, gateway, redis, ttl_seconds)

    register("stripe", build)
