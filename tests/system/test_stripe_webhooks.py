"""localstripe's own signed webhooks reach a real gunicorn: the webhook alone pays an order.

The customer completes 3-D Secure and never comes back to the page: only Stripe's
``payment_intent.succeeded`` (sent by localstripe, signed with the merchant's
webhook secret) tells the service. A declined card is reported twice (the return
and ``payment_intent.payment_failed``) and counted once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from checkout_links.testing import add_merchant, make_app
from checkout_links.testing.card_shop import DECLINED_CARD, GOOD_CARD, THREE_D_SECURE_CARD, CardShop
from checkout_links.testing.localstripe import LocalStripe
from checkout_links.testing.realapp import gunicorn_app, http_client
from checkout_links.testing.servers import ProcessServer, RedisServer


@pytest.fixture
def shop(real_redis: RedisServer, localstripe: LocalStripe, tmp_path: Path) -> Iterator[CardShop]:
    env = {
        "CHECKOUT_STRIPE_API_BASE": localstripe.url,
        "CHECKOUT_STRIPE_JS_URL": localstripe.js_url,
    }
    app: ProcessServer = gunicorn_app(tmp_path, real_redis.url, workers=1, env=env)
    app.start()
    app.wait_http("/readyz", timeout=60)
    try:
        auth = {"Authorization": f"Bearer {add_merchant(make_app(None, redis_url=real_redis.url))}"}
        made = CardShop(http_client(app.url), auth, localstripe)
        url = made.connect()["payment"]["stripe"]["webhook_url"]
        localstripe.register_webhook(
            f"hooks-{time.monotonic_ns()}", url, made.keys["webhook_secret"]
        )
        yield made
    finally:
        app.stop()


def _until(what: str, check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} within {timeout}s"
        time.sleep(0.1)


def test_the_webhook_alone_marks_the_order_paid_once(shop: CardShop) -> None:
    """3-D Secure completed at Stripe, no return: Stripe's webhook pays the order, once."""
    order_id, pay_path, _ = shop.place()
    shop.pay(pay_path, THREE_D_SECURE_CARD)
    intent = shop.intent_of(order_id)
    shop.stripe.authenticate(
        intent["id"], intent["client_secret"], shop.keys["publishable_key"], ok=True
    )
    _until("order.paid", lambda: shop.order(order_id)["payment"]["status"] == "paid")
    assert shop.client.get(pay_path).headers["Location"].startswith("/done/")
    assert len(shop.events(order_id, "order.paid")) == 1
    assert shop.charges(order_id) == 1


def test_a_decline_reported_twice_is_one_failed_attempt(shop: CardShop) -> None:
    """The return and Stripe's payment_intent.payment_failed report one decline: one event."""
    order_id, pay_path, _ = shop.place()
    shop.pay(pay_path, DECLINED_CARD)
    time.sleep(2.0)  # localstripe sends its event a second after the decline
    assert len(shop.events(order_id, "order.payment_failed")) == 1
    shop.pay(pay_path, GOOD_CARD)
    _until("order.paid", lambda: len(shop.events(order_id, "order.paid")) == 1)
    time.sleep(2.0)  # and the success's webhook changes nothing more
    assert len(shop.events(order_id, "order.paid")) == 1
    assert len(shop.events(order_id, "order.payment_failed")) == 1
    assert shop.charges(order_id) == 1
