"""``POST /webhooks/stripe/<merchant_id>``: Stripe's reports about a merchant's payments.

The URL is the one ``GET /api/v1/account`` shows as ``payment.stripe.webhook_url``.
The body is verified with the merchant's webhook secret (``Stripe-Signature``,
300 s tolerance) before anything is read: a bad signature is a 400 and nothing
changes. Events are handled once by id (a replay answers 200 and changes
nothing); unknown types and objects are acknowledged and ignored. What is
recorded goes through the same transitions as the customer's return
(``core/payments/stripe/provider.py:settle``), so the two reports of one payment
yield one ``order.paid``.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request

from checkout_links.core.errors import BadRequest, NotFound
from checkout_links.core.merchants.payment import payment_config
from checkout_links.core.orders.queries import load_order
from checkout_links.core.payments.stripe import amounts, events
from checkout_links.core.payments.stripe.events import StripeEvent
from checkout_links.core.payments.stripe.gateway import StripeGateway
from checkout_links.core.payments.stripe.provider import StripeProvider, settle
from checkout_links.core.records import Order
from checkout_links.core.services import Services
from checkout_links.core.storage import redis_keys as keys
from checkout_links.web.extensions import services

log = logging.getLogger(__name__)
bp = Blueprint("stripe_webhook", __name__)

#: How long a handled event id is remembered (Stripe retries for three days).
SEEN_SECONDS = 30 * 86400


def _answer(outcome: str) -> Response:
    return jsonify({"received": True, "outcome": outcome})


@bp.post("/webhooks/stripe/<merchant_id>")
def receive(merchant_id: str) -> Response:
    svc = services()
    config = payment_config(svc.merchants.get(merchant_id), svc.keyring)
    if config.stripe is None:
        raise BadRequest("This merchant has no Stripe webhook secret.")
    payload = request.get_data(cache=False)
    event = events.verify(
        payload, request.headers.get("Stripe-Signature"), config.stripe.webhook_secret
    )
    seen = keys.stripe_event(merchant_id, event.id)
    if event.kind == "ignored":
        return _answer("ignored")
    if svc.redis.exists(seen):
        return _answer("duplicate")
    gateway = StripeGateway(svc.settings.stripe_api_base)
    stripe = StripeProvider(config.stripe, gateway, svc.redis, svc.settings.order_retention_seconds)
    order = _order_of(svc, stripe, event, merchant_id)
    outcome = "unknown-order" if order is None else _handle(svc, stripe, order, event)
    # Marked after it was handled: a crash before this line lets Stripe's retry do it again,
    # which the idempotent transitions make harmless.
    svc.redis.set(seen, "1", ex=SEEN_SECONDS)
    log.info("stripe event", extra={"event_type": event.type, "outcome": outcome})
    return _answer(outcome)


def _order_of(
    svc: Services, stripe: StripeProvider, event: StripeEvent, merchant_id: str
) -> Order | None:
    order_id = event.order_id
    if order_id is None and event.intent_id:
        # A charge's event may not carry the intent's metadata: ask Stripe whose it is.
        order_id = stripe.gateway.retrieve(stripe.keys.secret_key, event.intent_id).metadata.get(
            "order"
        )
    if not order_id:
        return None
    try:
        order = load_order(svc.redis, svc.keyring, order_id)
    except NotFound:  # also a malformed id: metadata is the merchant's to write
        return None
    return order if order.merchant_id == merchant_id else None


def _handle(svc: Services, stripe: StripeProvider, order: Order, event: StripeEvent) -> str:
    payments = svc.payments
    if event.kind == "refunded":
        if event.intent_id is None:
            return "ignored"
        for refund_id, minor in stripe.gateway.refunds(stripe.keys.secret_key, event.intent_id):
            amount = amounts.from_minor(minor, order.currency)
            payments.record_refund(order.id, amount=amount, reference=refund_id)
        return "refunded"
    assert event.intent is not None
    return settle(payments, stripe, order, event.intent)
