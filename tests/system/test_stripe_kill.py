"""``kill -9`` of the app between Stripe's charge and the order's update: paid once anyway.

A real gunicorn on a real redis-server talks to localstripe through
:class:`StripeProxy`, which lets the confirmation reach Stripe (the card is
charged) and holds Stripe's answer; the app is SIGKILLed in that window, so
the order is not updated and localstripe's one webhook finds no app. After a
restart, the customer's return (or the worker's reconciliation pass) reads the
PaymentIntent from Stripe: the order is paid once, with one charge.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from checkout_links.testing import add_merchant, make_app
from checkout_links.testing.card_shop import GOOD_CARD, CardShop
from checkout_links.testing.localstripe import LocalStripe
from checkout_links.testing.realapp import gunicorn_app, http_client
from checkout_links.testing.servers import ProcessServer, RedisServer
from checkout_links.testing.stripe_proxy import StripeProxy
from checkout_links.web.extensions import services
from checkout_links.worker.stripe_reconcile import Reconciliation


@pytest.fixture
def proxy(localstripe: LocalStripe) -> Iterator[StripeProxy]:
    with StripeProxy(localstripe.url) as made:
        yield made


@pytest.fixture
def gunicorn(
    real_redis: RedisServer, proxy: StripeProxy, localstripe: LocalStripe, tmp_path: Path
) -> Iterator[ProcessServer]:
    env = {"CHECKOUT_STRIPE_API_BASE": proxy.url, "CHECKOUT_STRIPE_JS_URL": localstripe.js_url}
    app = gunicorn_app(tmp_path, real_redis.url, workers=1, env=env)
    app.start()
    app.wait_http("/readyz", timeout=60)
    try:
        yield app
    finally:
        app.stop()


def _killed_after_the_charge(
    gunicorn: ProcessServer, real_redis: RedisServer, proxy: StripeProxy, localstripe: LocalStripe
) -> tuple[CardShop, str, str]:
    """A card order whose payment Stripe made while the app died; returns (shop, order, page)."""
    auth = {"Authorization": f"Bearer {add_merchant(make_app(None, redis_url=real_redis.url))}"}
    shop = CardShop(http_client(gunicorn.url), auth, localstripe)
    shop.connect()
    localstripe.register_webhook(
        f"kill-{time.monotonic_ns()}",
        f"{gunicorn.url}/webhooks/stripe/acme",
        shop.keys["webhook_secret"],
    )
    order_id, pay_path, _ = shop.place()
    proxy.hold, proxy.hold_seconds = re.compile(r"/confirm$"), 3.0
    proxy.held.clear()

    def customer() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the app died under the request
            shop.pay(pay_path, GOOD_CARD)

    paying = threading.Thread(target=customer)
    paying.start()
    assert proxy.held.wait(30), "the confirmation never reached Stripe"
    gunicorn.kill()  # SIGKILL the master and its worker: nothing after Stripe's answer runs
    paying.join(timeout=30)
    proxy.hold = None
    assert shop.charges(order_id) == 1  # Stripe charged the card
    assert _pending(real_redis, order_id) == "pending"  # and the order does not know it
    time.sleep(1.5)  # localstripe's one webhook (a second after the charge) finds no app
    return shop, order_id, pay_path


def _pending(real_redis: RedisServer, order_id: str) -> str:
    app = make_app(None, redis_url=real_redis.url)
    with app.app_context():
        from checkout_links.core.orders.queries import load_order

        order = load_order(services().redis, services().keyring, order_id)
    assert order.payment is not None
    return order.payment.status


def test_the_customers_return_marks_it_paid_once(
    gunicorn: ProcessServer, real_redis: RedisServer, proxy: StripeProxy, localstripe: LocalStripe
) -> None:
    """Killed between charge and update; after the restart the return pays it, once."""
    shop, order_id, pay_path = _killed_after_the_charge(gunicorn, real_redis, proxy, localstripe)
    gunicorn.start()
    gunicorn.wait_http("/readyz", timeout=60)
    back = shop.client.get(pay_path)
    assert back.status_code == 303
    assert back.headers["Location"].startswith("/done/")
    assert shop.order(order_id)["payment"]["status"] == "paid"
    assert len(shop.events(order_id, "order.paid")) == 1
    assert shop.charges(order_id) == 1


def test_the_reconciliation_pass_marks_it_paid_once(
    gunicorn: ProcessServer, real_redis: RedisServer, proxy: StripeProxy, localstripe: LocalStripe
) -> None:
    """Killed between charge and update, and the customer never comes back: the worker's
    reconciliation reads the PaymentIntent and pays the order, once."""
    shop, order_id, _ = _killed_after_the_charge(gunicorn, real_redis, proxy, localstripe)
    worker_app = make_app(None, redis_url=real_redis.url, stripe_api_base=localstripe.url)
    with worker_app.app_context():
        reconcile = Reconciliation(services(), min_age_seconds=0)
        assert reconcile.run_once() >= 1
        assert reconcile.run_once() >= 0  # again: nothing more happens
    assert _pending(real_redis, order_id) == "paid"
    gunicorn.start()
    gunicorn.wait_http("/readyz", timeout=60)
    assert len(shop.events(order_id, "order.paid")) == 1
    assert shop.charges(order_id) == 1
