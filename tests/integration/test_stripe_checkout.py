"""Paying an order by card: the service on a real redis-server, Stripe played by localstripe."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask

from checkout_links.testing import add_merchant, make_app
from checkout_links.testing.card_shop import (
    DECLINED_CARD,
    GOOD_CARD,
    THREE_D_SECURE_CARD,
    CardShop,
)
from checkout_links.testing.localstripe import LocalStripe
from checkout_links.testing.servers import RedisServer


@pytest.fixture
def app(real_redis: RedisServer, localstripe: LocalStripe) -> Flask:
    return make_app(
        None,
        redis_url=real_redis.url,
        rate_limits_enabled=False,
        stripe_api_base=localstripe.url,
        stripe_js_url=localstripe.js_url,
    )


@pytest.fixture
def shop(app: Flask, localstripe: LocalStripe) -> CardShop:
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    made = CardShop(app.test_client(), auth, localstripe)
    made.connect()
    return made


def _payment(shop: CardShop, order_id: str) -> dict[str, Any]:
    payment: dict[str, Any] = shop.order(order_id)["payment"]
    return payment


def test_a_good_card_pays_the_order_once(shop: CardShop) -> None:
    """Place → payment page → card → the confirmation; one charge, one order.paid."""
    order_id, pay_path, _ = shop.place()
    assert _payment(shop, order_id)["status"] == "pending"
    page = shop.client.get(pay_path)
    text = page.get_data(as_text=True)
    assert shop.keys["publishable_key"] in text
    assert shop.keys["secret_key"] not in text
    assert "€49.90" in text  # the setup kit: what is being paid
    csrf = shop.csrf(pay_path)
    paid = shop.pay(pay_path, GOOD_CARD, csrf=csrf)
    assert paid.status_code == 303
    assert paid.headers["Location"].startswith("/done/")
    payment = _payment(shop, order_id)
    assert (payment["status"], payment["amount_paid"]) == ("paid", shop.order(order_id)["total"])
    assert payment["reference"] == shop.intent_of(order_id)["id"]
    assert shop.charges(order_id) == 1
    assert len(shop.events(order_id, "order.paid")) == 1
    # The page again (a reload, the back button) goes to the confirmation; nothing is charged.
    assert shop.client.get(pay_path).headers["Location"].startswith("/done/")
    token = shop.stripe.card_token(GOOD_CARD, shop.keys["publishable_key"])
    again = shop.client.post(pay_path, data={"csrf_token": csrf, "card_token": token})
    assert again.headers["Location"].startswith("/done/")
    assert shop.charges(order_id) == 1


def test_a_decline_shows_the_page_again_and_another_card_pays(shop: CardShop) -> None:
    """A declined card: the page with a message, one order.payment_failed; then a good card pays."""
    order_id, pay_path, _ = shop.place()
    declined = shop.pay(pay_path, DECLINED_CARD)
    assert declined.status_code == 303
    assert declined.headers["Location"].endswith("?problem=declined")
    again = shop.client.get(declined.headers["Location"]).get_data(as_text=True)
    assert "Your card was declined" in again
    assert _payment(shop, order_id)["status"] == "pending"
    assert len(shop.events(order_id, "order.payment_failed")) == 1
    assert shop.pay(pay_path, GOOD_CARD).headers["Location"].startswith("/done/")
    assert _payment(shop, order_id)["status"] == "paid"
    assert shop.charges(order_id) == 1
    assert len(shop.events(order_id, "order.payment_failed")) == 1
    assert len(shop.events(order_id, "order.paid")) == 1


def test_three_d_secure_is_completed_then_read_from_stripe(shop: CardShop) -> None:
    """A 3-D Secure card: the page gets the bank's step; once done, the return marks it paid."""
    order_id, pay_path, _ = shop.place()
    pending = shop.pay(pay_path, THREE_D_SECURE_CARD)
    assert pending.headers["Location"] == pay_path
    page = shop.client.get(pay_path).get_data(as_text=True)
    intent = shop.intent_of(order_id)
    assert f'data-authenticate="{intent["client_secret"]}"' in page
    assert _payment(shop, order_id)["status"] == "pending"
    shop.stripe.authenticate(
        intent["id"], intent["client_secret"], shop.keys["publishable_key"], ok=True
    )
    back = shop.client.get(pay_path)
    assert back.headers["Location"].startswith("/done/")
    assert _payment(shop, order_id)["status"] == "paid"
    assert shop.charges(order_id) == 1


def test_a_failed_three_d_secure_lets_the_customer_try_again(shop: CardShop) -> None:
    """A failed bank step: nothing charged, a message, one failed attempt; a good card then pays."""
    order_id, pay_path, _ = shop.place()
    shop.pay(pay_path, THREE_D_SECURE_CARD)
    intent = shop.intent_of(order_id)
    shop.stripe.authenticate(
        intent["id"], intent["client_secret"], shop.keys["publishable_key"], ok=False
    )
    page = shop.client.get(pay_path)
    assert page.status_code == 200
    assert "Your bank could not confirm the payment" in page.get_data(as_text=True)
    assert len(shop.events(order_id, "order.payment_failed")) == 1
    assert shop.pay(pay_path, GOOD_CARD).headers["Location"].startswith("/done/")
    assert shop.charges(order_id) == 1


def test_a_yen_order_is_charged_in_whole_yen(shop: CardShop) -> None:
    """A JPY total is sent to Stripe as whole yen (zero-decimal), and paid exactly."""
    shop.product("tea", "1500", "JPY")
    order_id, pay_path, _ = shop.place("tea", currency="JPY")
    shop.pay(pay_path, GOOD_CARD)
    intent = shop.intent_of(order_id)
    assert (intent["amount"], intent["currency"]) == (1500, "jpy")
    assert _payment(shop, order_id)["amount_paid"] == "1500"


def test_a_total_stripe_cannot_charge_is_refused_before_charging(shop: CardShop) -> None:
    """KWD 5.125 is not a Stripe amount (last digit must be 0): no intent, nothing charged."""
    shop.product("dates", "5.125", "KWD")
    order_id, pay_path, _ = shop.place("dates", currency="KWD")
    page = shop.client.get(pay_path).get_data(as_text=True)
    assert "This total cannot be paid by card" in page
    assert 'id="pay-form"' not in page
    token = shop.stripe.card_token(GOOD_CARD, shop.keys["publishable_key"])
    answer = shop.client.post(pay_path, data={"csrf_token": "x", "card_token": token})
    assert answer.status_code == 303
    assert shop.charges(order_id) == 0
    assert _payment(shop, order_id)["status"] == "pending"


def test_reopening_the_link_of_an_unpaid_order_leads_to_its_payment_page(shop: CardShop) -> None:
    """Reopening the link of an unpaid card order: 303 to its payment page, never a new order."""
    order_id, _, link = shop.place()
    again = shop.client.get(link)
    assert again.status_code == 303
    assert "/pay/" in again.headers["Location"]
    shop.pay(again.headers["Location"], GOOD_CARD)
    assert _payment(shop, order_id)["status"] == "paid"
    assert shop.client.get(link).status_code == 410  # paid: the link is used up, as before


def test_two_tabs_paying_at_once_charge_once(shop: CardShop) -> None:
    """Two tabs send a card at the same moment: one charge, one order.paid."""
    order_id, pay_path, _ = shop.place()
    tokens = [shop.csrf(pay_path), shop.csrf(pay_path)]
    start = threading.Barrier(2)
    answers: list[int] = []

    def tab(csrf: str) -> None:
        start.wait()
        answers.append(shop.pay(pay_path, GOOD_CARD, csrf=csrf).status_code)

    threads = [threading.Thread(target=tab, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [303, 303]
    assert shop.charges(order_id) == 1
    assert len(shop.events(order_id, "order.paid")) == 1


def _intent_event(shop: CardShop, order_id: str, event_type: str, event_id: str) -> dict[str, Any]:
    intent = shop.intent_of(order_id)
    return {"id": event_id, "type": event_type, "data": {"object": intent}}


def test_the_webhook_and_the_return_are_one_payment(shop: CardShop) -> None:
    """Stripe's payment_intent.succeeded first (and replayed), then the return: one order.paid."""
    order_id, pay_path, _ = shop.place()
    shop.pay(pay_path, THREE_D_SECURE_CARD)
    intent = shop.intent_of(order_id)
    shop.stripe.authenticate(
        intent["id"], intent["client_secret"], shop.keys["publishable_key"], ok=True
    )
    payload, signature = shop.signed(
        _intent_event(shop, order_id, "payment_intent.succeeded", "evt_one")
    )
    first = shop.webhook("acme", payload, signature)
    assert (first.status_code, first.get_json()["outcome"]) == (200, "paid")
    replay = shop.webhook("acme", payload, signature)
    assert (replay.status_code, replay.get_json()["outcome"]) == (200, "duplicate")
    assert shop.client.get(pay_path).headers["Location"].startswith("/done/")
    assert _payment(shop, order_id)["status"] == "paid"
    assert len(shop.events(order_id, "order.paid")) == 1
    assert shop.charges(order_id) == 1


def test_a_forged_webhook_is_refused_and_changes_nothing(shop: CardShop) -> None:
    """A body signed with another secret, or altered after signing: 400, the order stays pending."""
    order_id, pay_path, _ = shop.place()
    shop.pay(pay_path, THREE_D_SECURE_CARD)  # an intent exists, not paid
    event = _intent_event(shop, order_id, "payment_intent.succeeded", "evt_forged")
    event["data"]["object"]["status"] = "succeeded"
    payload, signature = shop.signed(event, secret="whsec_attacker")
    assert shop.webhook("acme", payload, signature).status_code == 400
    payload, signature = shop.signed(event)
    assert (
        shop.webhook("acme", payload.replace(b"succeeded", b"succeeded "), signature).status_code
        == 400
    )
    assert _payment(shop, order_id)["status"] == "pending"
    assert shop.events(order_id, "order.paid") == []


def test_an_event_for_another_amount_never_marks_paid(shop: CardShop) -> None:
    """A signed payment_intent.succeeded whose amount differs from the order's: not paid."""
    order_id, pay_path, _ = shop.place()
    shop.pay(pay_path, THREE_D_SECURE_CARD)
    event = _intent_event(shop, order_id, "payment_intent.succeeded", "evt_amount")
    event["data"]["object"] |= {"status": "succeeded", "amount": 1, "amount_received": 1}
    payload, signature = shop.signed(event)
    assert shop.webhook("acme", payload, signature).status_code == 200
    assert _payment(shop, order_id)["status"] == "pending"


def test_unknown_events_are_acknowledged_and_ignored(shop: CardShop) -> None:
    """A verified event of a type the service does not handle: 200, nothing changes."""
    payload, signature = shop.signed(
        {"id": "evt_x", "type": "customer.created", "data": {"object": {}}}
    )
    answer = shop.webhook("acme", payload, signature)
    assert (answer.status_code, answer.get_json()["outcome"]) == (200, "ignored")


def test_a_refund_goes_through_stripe_and_is_recorded_once(shop: CardShop) -> None:
    """POST .../refund refunds at Stripe; Stripe's charge.refunded afterwards changes nothing."""
    order_id, pay_path, _ = shop.place()
    shop.pay(pay_path, GOOD_CARD)
    answer = shop.client.post(
        f"/api/v1/orders/{order_id}/refund", json={"amount": "10.00"}, headers=shop.auth
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["payment"]["status"] == "partially_refunded"
    intent = shop.intent_of(order_id)
    refunds = shop.stripe.get(f"/v1/refunds?payment_intent={intent['id']}", shop.keys["secret_key"])
    assert [r["amount"] for r in refunds["data"]] == [1000]
    charge = {
        "id": "ch_x",
        "object": "charge",
        "payment_intent": intent["id"],
        "currency": "eur",
        "amount_refunded": 1000,
    }
    payload, signature = shop.signed(
        {"id": "evt_ref", "type": "charge.refunded", "data": {"object": charge}}
    )
    assert shop.webhook("acme", payload, signature).status_code == 200
    assert _payment(shop, order_id)["amount_refunded"] == "10.00"
    assert len(shop.events(order_id, "order.refunded")) == 1


def test_a_card_stripe_does_not_know_charges_nothing(shop: CardShop) -> None:
    """A forged card reference: Stripe refuses it, the page says so, nothing is charged."""
    order_id, pay_path, _ = shop.place()
    answer = shop.client.post(
        pay_path, data={"csrf_token": shop.csrf(pay_path), "card_token": "tok_forged"}
    )
    assert answer.headers["Location"].endswith("?problem=unavailable")
    assert shop.charges(order_id) == 0
    assert _payment(shop, order_id)["status"] == "pending"
    assert shop.pay(pay_path, GOOD_CARD).headers["Location"].startswith("/done/")
