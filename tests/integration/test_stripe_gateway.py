"""The Stripe gateway against localstripe: intents, cards, declines, 3-D Secure, refunds, events."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

import pytest

from checkout_links.core.payments.stripe.events import BadSignature, verify
from checkout_links.core.payments.stripe.gateway import StripeGateway, StripeRefused
from checkout_links.testing.localstripe import LocalStripe

PK = "pk_test_gateway"


@pytest.fixture
def secret_key() -> str:
    return "sk_test_" + secrets.token_hex(8)


def test_a_good_card_is_charged_exactly_once(localstripe: LocalStripe, secret_key: str) -> None:
    """The tokenised card is attached and confirmed: the intent succeeds with one charge."""
    gateway = StripeGateway(localstripe.url)
    intent = gateway.create_intent(
        secret_key, amount=124900, currency="EUR", metadata={"order": "ord_1"}, key="k1"
    )
    assert (intent.status, intent.amount, intent.currency) == (
        "requires_payment_method",
        124900,
        "EUR",
    )
    token = localstripe.card_token("4242424242424242", PK)
    done = gateway.confirm_with_card(secret_key, intent.id, token)
    assert done.succeeded
    assert (done.amount_received, done.decline) == (124900, None)
    assert len(localstripe.charges(intent.id, secret_key)) == 1
    assert gateway.retrieve(secret_key, intent.id).metadata == {"order": "ord_1"}


def test_a_declined_card_leaves_the_intent_unpaid(
    localstripe: LocalStripe, secret_key: str
) -> None:
    """A decline is an answer (decline code set, nothing charged), not an exception."""
    gateway = StripeGateway(localstripe.url)
    intent = gateway.create_intent(secret_key, amount=500, currency="JPY", metadata={}, key="k2")
    token = localstripe.card_token("4000000000000341", PK)
    done = gateway.confirm_with_card(secret_key, intent.id, token)
    assert (done.status, done.decline) == ("requires_payment_method", "card_declined")
    assert localstripe.charges(intent.id, secret_key) == []
    assert gateway.cancel(secret_key, intent.id).status == "canceled"


def test_three_d_secure_waits_for_the_customer(localstripe: LocalStripe, secret_key: str) -> None:
    """A card that needs 3-D Secure leaves the intent requiring action until it is completed."""
    gateway = StripeGateway(localstripe.url)
    intent = gateway.create_intent(secret_key, amount=1000, currency="EUR", metadata={}, key="k3")
    token = localstripe.card_token("4000002500003155", PK)
    pending = gateway.confirm_with_card(secret_key, intent.id, token)
    assert pending.status == "requires_action"
    assert pending.client_secret
    localstripe.authenticate(intent.id, pending.client_secret, PK, ok=True)
    assert gateway.retrieve(secret_key, intent.id).succeeded


def test_a_refund_is_recorded_on_the_charge(localstripe: LocalStripe, secret_key: str) -> None:
    """A partial refund shows as the intent's amount_refunded."""
    gateway = StripeGateway(localstripe.url)
    intent = gateway.create_intent(secret_key, amount=5000, currency="EUR", metadata={}, key="k4")
    gateway.confirm_with_card(secret_key, intent.id, localstripe.card_token("4242424242424242", PK))
    assert gateway.refund(secret_key, intent.id, 1200, key="r1").startswith("re_")
    assert gateway.retrieve(secret_key, intent.id).amount_refunded == 1200


def test_a_wrong_key_is_refused_without_repeating_it(localstripe: LocalStripe) -> None:
    """Stripe's 401 becomes StripeRefused whose message does not quote the key."""
    with pytest.raises(StripeRefused) as caught:
        StripeGateway(localstripe.url).retrieve("not-a-key", "pi_missing")
    assert "not-a-key" not in str(caught.value)


def _signed(payload: bytes, secret: str, at: int) -> str:
    mac = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def test_events_are_verified_with_the_merchants_secret() -> None:
    """A signed payment_intent.succeeded is read; a forged, stale or unsigned one is refused."""
    secret = "whsec_test"
    obj = {
        "id": "pi_1",
        "object": "payment_intent",
        "status": "succeeded",
        "amount": 500,
        "currency": "jpy",
        "metadata": {"order": "ord_9"},
    }
    payload = json.dumps(
        {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": obj}}
    ).encode()
    event = verify(payload, _signed(payload, secret, int(time.time())), secret)
    assert (event.kind, event.intent_id, event.order_id) == ("succeeded", "pi_1", "ord_9")
    assert event.intent is not None
    assert (event.intent.amount, event.intent.currency) == (500, "JPY")
    for header in (
        _signed(payload, "whsec_other", int(time.time())),
        _signed(payload, secret, int(time.time()) - 301),
        None,
        "garbage",
    ):
        with pytest.raises(BadSignature):
            verify(payload, header, secret)
    with pytest.raises(BadSignature):
        verify(payload.replace(b"500", b"5"), _signed(payload, secret, int(time.time())), secret)


def test_a_payment_method_from_stripe_js_is_attached_as_it_is(
    localstripe: LocalStripe, secret_key: str
) -> None:
    """A PaymentMethod id (what Stripe.js makes) pays; Stripe's declining test method declines."""
    gateway = StripeGateway(localstripe.url)
    paid = gateway.create_intent(secret_key, amount=700, currency="EUR", metadata={}, key="k5")
    assert gateway.confirm_with_card(secret_key, paid.id, "pm_card_visa").succeeded
    declined = gateway.create_intent(secret_key, amount=700, currency="EUR", metadata={}, key="k6")
    answer = gateway.confirm_with_card(secret_key, declined.id, "pm_card_chargeCustomerFail")
    assert answer.decline == "card_declined"
