"""Stripe's webhook events read into one record: what happened to which PaymentIntent."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest

from checkout_links.core.errors import BadRequest
from checkout_links.core.payments.stripe.events import verify

SECRET = "whsec_unit"


def _signed(event: dict[str, Any]) -> tuple[bytes, str]:
    payload = json.dumps(event).encode()
    at = int(time.time())
    mac = hmac.new(SECRET.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={at},v1={mac}"


def test_a_failed_payment_names_its_intent_and_why() -> None:
    """payment_intent.payment_failed: the intent, its order and the decline code."""
    intent = {
        "id": "pi_f",
        "status": "requires_payment_method",
        "amount": 4990,
        "currency": "eur",
        "metadata": {"order": "ord_1", "merchant": "acme"},
        "last_payment_error": {"code": "card_declined"},
    }
    event = verify(
        *_signed(
            {"id": "evt_f", "type": "payment_intent.payment_failed", "data": {"object": intent}}
        ),
        SECRET,
    )
    assert (event.kind, event.intent_id, event.order_id) == ("failed", "pi_f", "ord_1")
    assert event.intent is not None
    assert event.intent.decline == "card_declined"


def test_a_refunded_charge_names_its_intent() -> None:
    """charge.refunded: the charge's intent and currency, the total refunded so far."""
    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": "pi_r",
        "currency": "jpy",
        "amount_refunded": 500,
    }
    event = verify(
        *_signed({"id": "evt_r", "type": "charge.refunded", "data": {"object": charge}}), SECRET
    )
    assert (event.kind, event.intent_id, event.currency, event.amount_refunded) == (
        "refunded",
        "pi_r",
        "JPY",
        500,
    )


def test_other_event_types_are_ignored() -> None:
    """An event of a type the service does not act on is read as ignored, with its id."""
    event = verify(
        *_signed({"id": "evt_c", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}),
        SECRET,
    )
    assert (event.kind, event.id, event.intent) == ("ignored", "evt_c", None)


def test_an_event_without_an_id_is_refused() -> None:
    """A signed body that is not an event (no id) is a 400, not a crash."""
    with pytest.raises(BadRequest):
        verify(*_signed({"type": "payment_intent.succeeded", "data": {"object": {}}}), SECRET)
