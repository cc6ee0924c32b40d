"""Placing an order, the core use case, on fakeredis: outcomes, lost replies, refusals."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import fakeredis
import msgspec
import pytest
from flask import Flask

from checkout_links.core.checkout.cart import cart_state
from checkout_links.core.checkout.place import (
    AlreadyPlaced,
    Invalid,
    Placed,
    PlaceRequest,
    Refused,
    place_order,
    place_orders,
)
from checkout_links.core.i18n.locales import negotiate
from checkout_links.core.links.choices import LinkChoicesIn, PromotionIn
from checkout_links.core.links.ids import order_id_for
from checkout_links.core.links.status import Gone
from checkout_links.core.links.token import LinkPayload
from checkout_links.core.orders.queries import load_order
from checkout_links.core.services import Services
from checkout_links.core.storage import redis_keys as keys
from checkout_links.testing import add_merchant

CUSTOMER = {"email": "ana@example.com", "first_name": "Ana", "last_name": "Ruiz", "country": "DE"}


@pytest.fixture
def svc(app: Flask) -> Services:
    add_merchant(app)
    services: Services = app.extensions["checkout"]
    return services


def issue(svc: Services, **body: Any) -> LinkPayload:
    """A fresh link of ``acme`` (two seats by default), as its decoded token."""
    request = LinkChoicesIn.model_validate(
        {"products": [{"id": "pro-licence", "price": "100.00", "quantity": 2}], **body}
    )
    issued = svc.links.issue(svc.merchants.get("acme"), request)
    return svc.codec.decode(issued.url.rsplit("/", 1)[1])


def request_for(
    svc: Services, payload: LinkPayload, request_id: str = "req-1", **fields: Any
) -> PlaceRequest:
    return PlaceRequest(
        payload=payload,
        lines=svc.links.lines_of(payload),
        customer=fields.pop("customer", CUSTOMER),
        request_id=request_id,
        **fields,
    )


def test_an_open_link_places_its_order_with_the_page_locale_and_spends_the_link(
    svc: Services,
) -> None:
    """The order is stored with the checked customer, the page's locale and language, and the
    link is spent by it."""
    payload = issue(svc)
    locale = negotiate("de-CH", None, None, None)
    outcome = place_order(svc, request_for(svc, payload, locale=locale))
    assert outcome == Placed(order_id_for(payload.link_rand))
    order = load_order(svc.redis, svc.keyring, outcome.order_id)
    assert order.total == Decimal("200.00")
    assert order.customer.email == "ana@example.com"
    assert order.customer.language == locale.lang
    assert (payload.locale, order.locale) != ("de-CH", "de-CH")
    assert order.locale == "de-CH"
    assert order.link_id == svc.links.link_id_of(payload)
    mark = svc.ledger.mark(payload.link_rand)
    assert (mark.state, mark.order_id, mark.request_id) == ("spent", outcome.order_id, "req-1")


def test_the_same_request_again_gets_the_same_order_and_writes_no_second_event(
    svc: Services, fake_redis: fakeredis.FakeRedis
) -> None:
    """A request sent again after its answer was lost gets its own order back, not a refusal."""
    payload = issue(svc)
    first = place_order(svc, request_for(svc, payload))
    again = place_order(svc, request_for(svc, payload))
    assert isinstance(first, Placed)
    assert again == AlreadyPlaced(first.order_id)
    assert fake_redis.xlen(keys.outbox(keys.shard_of(payload.link_rand))) == 1


@pytest.mark.parametrize("how", ["completed", "revoked", "expired"])
def test_a_spent_revoked_or_expired_link_is_refused_with_its_reason(
    svc: Services, how: Gone
) -> None:
    """Another request's order, a revocation or the expiry refuse the order, saying which."""
    payload = issue(svc)
    if how == "completed":
        assert isinstance(place_order(svc, request_for(svc, payload, "other")), Placed)
    elif how == "revoked":
        svc.ledger.revoke(payload.link_rand, payload.expires_at)
    else:
        payload = msgspec.structs.replace(payload, expires_at=int(time.time()) - 1)
    assert place_order(svc, request_for(svc, payload)) == Refused(how)
    if how != "completed":
        assert svc.redis.exists(keys.order(payload.link_rand)) == 0


def test_a_code_used_up_since_the_page_was_shown_refuses_and_leaves_the_link_open(
    svc: Services,
) -> None:
    """The last redemption taken by another order: the choice is refused by field, the link
    stays open and still places its order without the code."""
    svc.promotions.put(
        "acme", "ONCE", PromotionIn.model_validate({"percent": "10", "max_redemptions": 1})
    )
    ours, theirs = issue(svc, allow_promotion_codes=True), issue(svc, allow_promotion_codes=True)

    def with_code(payload: LinkPayload) -> PlaceRequest:
        lines = svc.links.lines_of(payload)
        cart = cart_state(svc.promotions, payload, lines, (), {"promo_code": "once"})
        assert cart.promotion is not None
        assert not cart.errors
        return request_for(svc, payload, cart=cart)

    shown = with_code(ours)  # the page priced the code while one redemption was left
    assert isinstance(place_order(svc, with_code(theirs)), Placed)
    outcome = place_order(svc, shown)
    assert isinstance(outcome, Invalid)
    assert outcome.cart is not None
    assert [e.loc for e in outcome.cart.errors] == [("form", "promo_code")]
    assert svc.ledger.mark(ours.link_rand).state == "open"
    assert svc.promotions.get("acme", "ONCE").redemptions == 1
    assert isinstance(place_order(svc, request_for(svc, ours, "req-2")), Placed)


def test_invalid_customer_details_are_refused_by_field_and_write_nothing(
    svc: Services, fake_redis: fakeredis.FakeRedis
) -> None:
    """A bad email and an incomplete address come back as field errors; no key is written."""
    payload = issue(svc)
    before = set(fake_redis.keys("*"))
    customer = {"email": "ana-at-example", "address": "Invalidenstr. 1", "country": "DE"}
    outcome = place_order(svc, request_for(svc, payload, customer=customer))
    assert isinstance(outcome, Invalid)
    assert {"email", "postal_code", "city"} <= set(outcome.errors)
    assert set(fake_redis.keys("*")) == before


def test_place_orders_places_each_as_place_order_does_and_keeps_their_order(
    svc: Services,
) -> None:
    """The bulk path for seeders answers per request, in order: placed, invalid, placed."""
    links = [issue(svc) for _ in range(3)]
    requests = [request_for(svc, p) for p in links]
    requests[1] = request_for(svc, links[1], customer={"email": ""})
    outcomes = place_orders(svc, requests)
    assert outcomes[0] == Placed(order_id_for(links[0].link_rand))
    assert isinstance(outcomes[1], Invalid)
    assert "email" in outcomes[1].errors
    assert outcomes[2] == Placed(order_id_for(links[2].link_rand))
    assert svc.ledger.mark(links[1].link_rand).state == "open"


@pytest.mark.parametrize(
    ("payment", "awaits"),
    [
        ({"provider": "none"}, False),
        ({"provider": "manual", "instructions": "Pay by bank transfer."}, False),
        (
            {
                "provider": "stripe",
                "stripe": {
                    "publishable_key": "pk_test_51Pub",
                    "secret_key": "sk_test_51SecretValue",
                    "webhook_secret": "whsec_SigningValue123",
                },
            },
            True,
        ),
    ],
)
def test_a_placed_order_says_whether_it_waits_for_a_card_payment(
    app: Flask, payment: dict[str, Any], awaits: bool
) -> None:
    """``Placed.awaits_card`` is true exactly when the stored order waits for a Stripe
    payment, so the view can send the customer on without reading the order back."""
    api_key = add_merchant(app)
    answer = app.test_client().patch(
        "/api/v1/account",
        json={"payment": payment},
        headers={"Authorization": f"Bearer {api_key}"},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    services: Services = app.extensions["checkout"]
    outcome = place_order(services, request_for(services, issue(services)))
    assert isinstance(outcome, Placed)
    stored = load_order(services.redis, services.keyring, outcome.order_id).payment
    assert stored is not None
    assert outcome.awaits_card is awaits
    assert (stored.provider == "stripe" and stored.status == "pending") is awaits
