"""Card payments on a real Redis Cluster: every key of an order's payment in its slot.

The order, its PaymentIntent attempts and its payment transitions share the order's
hash tag, so placing, paying (twice at once), the webhook and the reconciliation
pass all work through ``redis+cluster://`` with one charge and one ``order.paid``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask

from checkout_links.core.links.ids import link_rand_of_order
from checkout_links.core.storage import redis_keys as keys
from checkout_links.testing import add_merchant, make_app
from checkout_links.testing.card_shop import GOOD_CARD, THREE_D_SECURE_CARD, CardShop
from checkout_links.testing.cluster import RedisCluster
from checkout_links.testing.localstripe import LocalStripe
from checkout_links.web.extensions import services
from checkout_links.worker.stripe_reconcile import Reconciliation


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    with RedisCluster(tmp_path_factory.mktemp("cluster"), masters=3, replicas=0) as running:
        yield running


@pytest.fixture
def app(cluster: RedisCluster, localstripe: LocalStripe) -> Flask:
    seeds = ",".join(f"{host}:{port}" for host, port in cluster.startup_nodes[:2])
    return make_app(
        None,
        redis_url=f"redis+cluster://{seeds}/",
        rate_limits_enabled=False,
        stripe_api_base=localstripe.url,
        stripe_js_url=localstripe.js_url,
    )


def test_paying_on_a_cluster_keeps_an_orders_keys_in_one_slot(
    app: Flask, localstripe: LocalStripe
) -> None:
    """Two tabs pay one order on a cluster: one charge, one order.paid, keys in one slot."""
    merchant = "twotabs"
    auth = {"Authorization": f"Bearer {add_merchant(app, merchant)}"}
    shop = CardShop(app.test_client(), auth, localstripe, merchant_id=merchant)
    shop.connect()
    order_id, pay_path, _ = shop.place()
    csrfs = [shop.csrf(pay_path), shop.csrf(pay_path)]
    tabs = [threading.Thread(target=shop.pay, args=(pay_path, GOOD_CARD, c)) for c in csrfs]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join()
    assert shop.order(order_id)["payment"]["status"] == "paid"
    assert shop.charges(order_id) == 1
    assert len(shop.events(order_id, "order.paid")) == 1
    rand = link_rand_of_order(order_id)
    with app.app_context():
        client = services().redis
        slots = {client.keyslot(keys.order(rand)), client.keyslot(keys.stripe_attempts(rand))}
    assert len(slots) == 1


def test_the_reconciliation_pass_runs_on_a_cluster(app: Flask, localstripe: LocalStripe) -> None:
    """An intent paid at Stripe only (3-D Secure finished, no return): reconciled, once."""
    auth = {"Authorization": f"Bearer {add_merchant(app, 'recon')}"}
    shop = CardShop(app.test_client(), auth, localstripe, merchant_id="recon")
    shop.connect()
    order_id, pay_path, _ = shop.place()
    shop.pay(pay_path, THREE_D_SECURE_CARD)
    intent = shop.intent_of(order_id)
    localstripe.authenticate(
        intent["id"], intent["client_secret"], shop.keys["publishable_key"], ok=True
    )
    with app.app_context():
        assert Reconciliation(services(), min_age_seconds=0).run_once() >= 1
    assert shop.order(order_id)["payment"]["status"] == "paid"
    assert len(shop.events(order_id, "order.paid")) == 1
