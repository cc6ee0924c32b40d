"""The payment provider interface: small and PSP-neutral.

A provider knows one payment service (PSP); the core knows only this
Protocol and the neutral records below. The order's state changes only
through ``payments/transitions.py`` (:class:`OrderPayments`), whatever a
provider reports, so every report of one fact (the browser's return, the
PSP's webhook, the reconciliation pass) yields one change and one event.

Implemented here: ``none`` and ``manual``. The ``stripe`` provider is
``payments/stripe/provider.py`` (registered with :func:`register` when the
services are built). How it keeps its promises:

* :meth:`PaymentProvider.start`: the order's one live PaymentIntent
  (``payments/stripe/intents.py``: numbered attempts, each with an idempotency key
  from the order, a dead one canceled at Stripe before the next), for exactly the
  total in Stripe's minor units (``payments/stripe/amounts.py``: a total Stripe
  cannot charge is refused with a 422 before anything is created, never rounded);
* :meth:`PaymentProvider.verify_event`: ``Stripe-Signature`` checked by the
  ``stripe`` package (300 s tolerance) with the merchant's ``webhook_secret``
  (400 otherwise); ``payment_intent.succeeded`` → ``paid``,
  ``payment_intent.payment_failed`` → ``failed`` (``reference``: the intent, which
  fails at most once), anything else → ``None``;
* :meth:`PaymentProvider.refund`: through Stripe with :func:`idempotency_key`
  ``(order, "refund", <n>)``, returning the refund id;
* :meth:`PaymentProvider.lookup`: the order's newest intent as Stripe holds it.

The customer's return, the webhook (``web/stripe_webhook.py``) and the worker's
reconciliation (``worker/stripe_reconcile.py``) all record through
``payments/stripe/provider.py:settle``, which calls the transitions directly with
exact ``Decimal`` amounts. Other providers hand each :class:`PaymentReport` to
:func:`apply_report`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

from checkout_links.core.errors import BadRequest, Conflict, ValidationFailed
from checkout_links.core.merchants.payment import PaymentConfig
from checkout_links.core.money import minor_units
from checkout_links.core.payments.transitions import OrderPayments, Transition
from checkout_links.core.records import Order, ProviderName


@dataclass(frozen=True, slots=True)
class PaymentStart:
    """What the customer's payment page needs to take the payment of an order."""

    #: The PSP's id of the payment (a PaymentIntent id), the order's ``payment.reference``.
    reference: str | None
    #: What the PSP's browser library needs (Stripe.js: the client secret); never logged.
    client_secret: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentReport:
    """A PSP's report about one payment, normalised (verified before it is made)."""

    kind: Literal["paid", "failed", "refunded"]
    order_id: str
    #: The PSP's event id (for deduplication and logs).
    event_id: str
    #: Minor units, as the PSP counts them (``from_minor_units`` turns them back).
    amount_minor: int
    currency: str
    #: ``paid``: the payment's id; ``failed``: the failed attempt's id; ``refunded``: the refund's.
    reference: str


@dataclass(frozen=True, slots=True)
class PaymentState:
    """A payment as the PSP sees it now (reconciliation)."""

    status: Literal["pending", "paid", "failed", "canceled"]
    reference: str
    amount_minor: int
    currency: str


class PaymentProvider(Protocol):
    """One payment service, for one merchant's configuration."""

    name: ProviderName

    def start(self, order: Order) -> PaymentStart:
        """Create, or reuse, the one payment of ``order`` (idempotent by the order)."""
        ...

    def verify_event(self, payload: bytes, headers: dict[str, str]) -> PaymentReport | None:
        """The verified, normalised report in a PSP's webhook, or ``None`` to ignore it.

        :class:`~checkout_links.core.errors.BadRequest` when it does not verify.
        """
        ...

    def refund(self, order: Order, amount: Decimal, sequence: int) -> str:
        """Refund ``amount`` of the order's payment; returns the refund's reference.

        ``sequence`` numbers the order's refunds (1, 2, ...): with the order it
        makes the PSP's idempotency key, so a retried refund is made once.
        """
        ...

    def lookup(self, order: Order) -> PaymentState | None:
        """The order's payment as the PSP sees it now, or ``None`` when there is none."""
        ...


def idempotency_key(order: Order, action: str, sequence: int = 0) -> str:
    """The PSP idempotency key of ``action`` on ``order``: the same on every retry."""
    digest = hashlib.sha256(f"{order.merchant_id}/{order.id}/{action}/{sequence}".encode())
    return f"cl-{action}-{digest.hexdigest()[:40]}"


def to_minor_units(amount: Decimal, currency: str) -> int:
    """``amount`` in the currency's minor units (``12.34`` EUR → 1234, ``1500`` JPY → 1500).

    Exact: an amount with more digits than the currency has is refused, never rounded.
    """
    scaled = amount.scaleb(minor_units(currency))
    if scaled != scaled.to_integral_value():
        raise ValidationFailed(f"{amount} {currency} is not a whole number of minor units.")
    return int(scaled)


def from_minor_units(amount_minor: int, currency: str) -> Decimal:
    """Minor units back to a decimal amount of the currency."""
    return Decimal(amount_minor).scaleb(-minor_units(currency))


class NoProvider:
    """Provider ``none``: the service takes no payment; the merchant collects its own way."""

    name: ProviderName = "none"

    def start(self, order: Order) -> PaymentStart:
        raise Conflict("This order takes no payment through the service.")

    def verify_event(self, payload: bytes, headers: dict[str, str]) -> PaymentReport | None:
        raise BadRequest("This merchant takes no payments through the service.")

    def refund(self, order: Order, amount: Decimal, sequence: int) -> str:
        # The merchant refunded its own way: the order records it.
        return _local_reference("rf")

    def lookup(self, order: Order) -> PaymentState | None:
        return None


class ManualProvider:
    """Provider ``manual``: the customer follows the merchant's instructions (a bank
    transfer); the merchant confirms with ``POST /api/v1/orders/{id}/mark_paid`` and
    refunds its own way, which the refund endpoint records."""

    name: ProviderName = "manual"

    def __init__(self, instructions: str) -> None:
        self.instructions = instructions

    def start(self, order: Order) -> PaymentStart:
        # Nothing to create: the instructions are the payment page.
        return PaymentStart(reference=None)

    def verify_event(self, payload: bytes, headers: dict[str, str]) -> PaymentReport | None:
        raise BadRequest("Manual payments have no provider events.")

    def refund(self, order: Order, amount: Decimal, sequence: int) -> str:
        return _local_reference("rf")

    def lookup(self, order: Order) -> PaymentState | None:
        # Only the merchant knows: mark_paid is the report.
        return None


def _local_reference(prefix: str) -> str:
    """A reference of ours for something done outside any PSP (a manual refund)."""
    return f"{prefix}_{secrets.token_urlsafe(12)}"


def provider_for(config: PaymentConfig) -> PaymentProvider:
    """The provider of a merchant's payment settings.

    ``stripe`` is built by ``payments/stripe/provider.py`` (registered with
    :func:`register`); until it is, a stripe configuration is refused.
    """
    if config.provider == "manual":
        return ManualProvider(config.instructions or "")
    if config.provider == "stripe":
        factory = _FACTORIES.get("stripe")
        if factory is None:
            raise Conflict("Card payments are not available in this version.")
        return factory(config)
    return NoProvider()


class _Factory(Protocol):
    def __call__(self, config: PaymentConfig) -> PaymentProvider: ...


_FACTORIES: dict[str, _Factory] = {}


def register(name: ProviderName, factory: _Factory) -> None:
    """Make ``provider_for`` build ``name``'s provider with ``factory`` (the stripe module)."""
    _FACTORIES[name] = factory


def unregister(name: ProviderName) -> None:
    """Forget ``name``'s factory (tests that register a PSP double restore the registry)."""
    _FACTORIES.pop(name, None)


def apply_report(payments: OrderPayments, order: Order, report: PaymentReport) -> Transition:
    """Record a verified PSP report on its order: one transition, one event at most.

    ``paid`` with an amount or currency other than the order's raises
    :class:`~checkout_links.core.errors.PaymentMismatch` and marks nothing.
    """
    amount = from_minor_units(report.amount_minor, report.currency.upper())
    if report.kind == "paid":
        return payments.record_paid(
            order.id, amount=amount, currency=report.currency, reference=report.reference
        )
    if report.kind == "failed":
        return payments.record_failed(order.id, attempt=report.reference)
    return payments.record_refund(order.id, amount=amount, reference=report.reference)
