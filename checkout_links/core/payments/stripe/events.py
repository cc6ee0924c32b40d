"""Stripe's webhook events: verified with the merchant's secret, read into one small record.

The signature is checked by the ``stripe`` package itself (``Stripe-Signature``,
HMAC-SHA256 over ``timestamp.payload``, 300 s tolerance); anything it refuses is
:class:`BadSignature` (400) and nothing else is read from the body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import stripe

from checkout_links.core.errors import BadRequest
from checkout_links.core.payments.stripe.gateway import Intent, intent_of

#: Stripe's tolerance for the signature's timestamp, in seconds.
TOLERANCE_SECONDS = 300

Kind = Literal["succeeded", "failed", "refunded", "ignored"]

_KINDS: dict[str, Kind] = {
    "payment_intent.succeeded": "succeeded",
    "payment_intent.payment_failed": "failed",
    "charge.refunded": "refunded",
}


class BadSignature(BadRequest):
    """The ``Stripe-Signature`` header is missing, forged, stale or for another secret."""

    title = "Bad signature"
    slug = "bad-signature"


@dataclass(frozen=True, slots=True)
class StripeEvent:
    """One verified event: what happened (``kind``) to which PaymentIntent.

    ``intent`` is set for ``succeeded`` and ``failed``; for ``refunded``,
    ``intent_id`` and ``amount_refunded`` (the charge's total refunded so far, in
    Stripe's integer amount) are. ``ignored`` events carry only their id and type.
    """

    id: str
    type: str
    kind: Kind
    intent_id: str | None = None
    intent: Intent | None = None
    amount_refunded: int = 0
    currency: str | None = None
    order_id: str | None = None


def verify(payload: bytes, signature: str | None, secret: str) -> StripeEvent:
    """Check ``signature`` over ``payload`` with ``secret``, then read the event.

    Raises :class:`BadSignature` for a missing, forged or stale signature.
    """
    if not signature:
        raise BadSignature("The Stripe-Signature header is missing.")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature, secret, TOLERANCE_SECONDS
        )
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError):
        raise BadSignature("The Stripe-Signature header does not match this payload.") from None
    return _normalise(event)


def _normalise(event: dict[str, Any]) -> StripeEvent:
    event_id, event_type = str(event.get("id") or ""), str(event.get("type") or "")
    kind = _KINDS.get(event_type, "ignored")
    obj = (event.get("data") or {}).get("object") or {}
    if not event_id:
        raise BadRequest("The event has no id.")
    if kind == "ignored":
        return StripeEvent(event_id, event_type, kind)
    metadata = obj.get("metadata") or {}
    if kind == "refunded":
        intent_id = obj.get("payment_intent")
        return StripeEvent(
            event_id,
            event_type,
            kind,
            intent_id=str(intent_id) if intent_id else None,
            amount_refunded=int(obj.get("amount_refunded") or 0),
            currency=str(obj.get("currency") or "").upper() or None,
            order_id=metadata.get("order"),
        )
    intent = intent_of(obj)
    return StripeEvent(
        event_id,
        event_type,
        kind,
        intent_id=intent.id,
        intent=intent,
        currency=intent.currency,
        order_id=intent.metadata.get("order"),
    )
