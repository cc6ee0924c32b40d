"""Reconciliation on a real redis-server: a payment the PSP took but nobody reported is
recorded once by the worker's pass.

The PSP is a double registered as the ``stripe`` provider: it answers ``lookup`` from a
dict (the PSP's state), which is all the reconciliation asks of a provider.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
import redis

from checkout_links.core.merchants.payment import PaymentConfig
from checkout_links.core.payments import provider as providers
from checkout_links.core.payments.provider import (
    PaymentStart,
    PaymentState,
    to_minor_units,
)
from checkout_links.core.payments.reconcile import reconcile
from checkout_links.core.payments.window import PaymentWindow
from checkout_links.core.records import Order, ProviderName
from checkout_links.core.storage import redis_keys as keys
from checkout_links.testing import add_merchant, make_app
from checkout_links.testing.servers import RedisServer
from checkout_links.testing.shop import place_order
from checkout_links.web.extensions import services

STRIPE = {
    "provider": "stripe",
    "stripe": {
        "publishable_key": "pk_test_51Pub",
        "secret_key": "sk_test_51Secret",
        "webhook_secret": "whsec_Signing",
    },
}
#: What the PSP double knows: order id -> the payment it took.
PSP: dict[str, PaymentState] = {}


class PspDouble:
    """A PSP that took the payments in :data:`PSP` (and reports nothing by itself)."""

    name: ProviderName = "stripe"

    def __init__(self, config: PaymentConfig) -> None:
        assert config.stripe is not None
        assert config.stripe.secret_key == "sk_test_51Secret"

    def start(self, order: Order) -> PaymentStart:
        return PaymentStart(reference=f"pi_{order.id}")

    def verify_event(self, payload: bytes, headers: dict[str, str]) -> None:
        return None

    def refund(self, order: Order, amount: Decimal, sequence: int) -> str:
        return f"re_{sequence}"

    def lookup(self, order: Order) -> PaymentState | None:
        return PSP.get(order.id)


@pytest.fixture
def psp() -> Iterator[dict[str, PaymentState]]:
    providers.register("stripe", PspDouble)
    PSP.clear()
    try:
        yield PSP
    finally:
        providers.unregister("stripe")
        PSP.clear()


def test_a_payment_nobody_reported_is_recorded_once(
    real_redis: RedisServer, psp: dict[str, PaymentState]
) -> None:
    """Of two pending card orders, the one the PSP says it took is marked paid by the pass,
    once (a second pass changes nothing), with one order.paid; a payment of the wrong amount
    is not recorded; the other order stays pending."""
    client = redis.Redis.from_url(real_redis.url)
    app = make_app(client, redis_url=real_redis.url)
    # Building the app registers the real Stripe provider; the PSP double takes its place.
    providers.register("stripe", PspDouble)
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    web = app.test_client()
    assert web.patch("/api/v1/account", json={"payment": STRIPE}, headers=auth).status_code == 200
    taken, untouched, short = (place_order(web, auth) for _ in range(3))
    total = Decimal(web.get(f"/api/v1/orders/{taken}", headers=auth).get_json()["total"])
    minor = to_minor_units(total, "EUR")
    psp[taken] = PaymentState(status="paid", reference="pi_1", amount_minor=minor, currency="eur")
    psp[short] = PaymentState(
        status="paid", reference="pi_2", amount_minor=minor - 1, currency="eur"
    )
    with app.app_context():
        svc = services()
        window_ms = svc.settings.payment_window_seconds * 1000
        passes = [
            reconcile(
                svc.payments,
                svc.merchants,
                svc.keyring,
                range(keys.DEFAULT_SHARDS),
                now_ms=2**42,  # long after: every order is old enough to ask about
                window_ms=window_ms,
                settle_ms=0,
            )
            for _ in range(2)
        ]
    assert passes == [1, 0]
    statuses = {
        o: web.get(f"/api/v1/orders/{o}", headers=auth).get_json()["payment"]["status"]
        for o in (taken, untouched, short)
    }
    assert statuses == {taken: "paid", untouched: "pending", short: "pending"}
    events = web.get("/api/v1/events?limit=100", headers=auth).get_json()["items"]
    assert sorted(e["type"] for e in events if e["order_id"] == taken) == [
        "order.created",
        "order.paid",
    ]


def test_the_window_asks_the_psp_before_it_cancels(
    real_redis: RedisServer, psp: dict[str, PaymentState]
) -> None:
    """When the payment window ends, an order the PSP says it was paid for is marked paid
    (never canceled) and one the PSP knows nothing of is canceled, each with one event."""
    client = redis.Redis.from_url(real_redis.url)
    app = make_app(client, redis_url=real_redis.url, payment_window_seconds=1)
    providers.register("stripe", PspDouble)
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    web = app.test_client()
    assert web.patch("/api/v1/account", json={"payment": STRIPE}, headers=auth).status_code == 200
    taken, unpaid = (place_order(web, auth) for _ in range(2))
    total = Decimal(web.get(f"/api/v1/orders/{taken}", headers=auth).get_json()["total"])
    minor = to_minor_units(total, "EUR")
    psp[taken] = PaymentState(status="paid", reference="pi_1", amount_minor=minor, currency="eur")
    with app.app_context():
        svc = services()
        window = PaymentWindow(svc.payments, 1, merchants=svc.merchants, keyring=svc.keyring)
        time.sleep(1.1)  # past both orders' window
        assert window.tick(range(keys.DEFAULT_SHARDS)) == 1
    statuses = {
        o: web.get(f"/api/v1/orders/{o}", headers=auth).get_json()["payment"]["status"]
        for o in (taken, unpaid)
    }
    assert statuses == {taken: "paid", unpaid: "canceled"}
    events = web.get("/api/v1/events?limit=100", headers=auth).get_json()["items"]
    assert sorted((e["order_id"] == taken, e["type"]) for e in events) == [
        (False, "order.canceled"),
        (False, "order.created"),
        (True, "order.created"),
        (True, "order.paid"),
    ]
