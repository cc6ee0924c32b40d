"""The service on a real Redis Cluster (3 masters, 1 replica each), one hash slot per step."""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import redis
from flask import Flask

from checkout_links.core.links.ids import link_rand_of_order
from checkout_links.core.payments.window import expire
from checkout_links.core.services import Services
from checkout_links.core.storage import redis_keys as keys
from checkout_links.testing import BERLIN, add_merchant, csrf_of, link_path, make_app
from checkout_links.testing.cluster import RedisCluster
from checkout_links.testing.realapp import (
    gunicorn_app,
    http_client,
    issue_link,
    path_of,
    race_one_link,
)
from checkout_links.testing.servers import HOST, ProcessServer
from checkout_links.web.extensions import services
from checkout_links.worker.deliverer import Worker

pytestmark = pytest.mark.slow

#: The kit is physical: the order needs a billing address (delivered there).
LINK = {"products": [{"id": "kit", "quantity": 2}], "customer": {"email": "ana@example.com"}}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    """One 3-master, 3-replica cluster for the whole module."""
    with RedisCluster(tmp_path_factory.mktemp("cluster"), masters=3, replicas=1) as running:
        yield running


@pytest.fixture(scope="module")
def cluster_url(cluster: RedisCluster) -> str:
    """The service's cluster URL form, seeded with two of the nodes."""
    seeds = ",".join(f"{host}:{port}" for host, port in cluster.startup_nodes[:2])
    return f"redis+cluster://{seeds}/"


@pytest.fixture(scope="module")
def cluster_app(cluster_url: str) -> Flask:
    """The app connected through ``CHECKOUT_REDIS_URL=redis+cluster://...`` itself."""
    return make_app(None, redis_url=cluster_url, allow_private_webhooks=True)


@pytest.fixture(scope="module")
def node(cluster: RedisCluster) -> Iterator[redis.Redis]:
    """A plain connection to one cluster node, for CLUSTER commands."""
    with cluster.nodes[0].client() as conn:
        yield conn


@pytest.fixture(scope="module")
def cluster_gunicorn(
    cluster_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProcessServer]:
    """Real gunicorn (deploy config, 2 workers) on the cluster."""
    with gunicorn_app(tmp_path_factory.mktemp("gunicorn"), cluster_url) as server:
        server.wait_http("/readyz", timeout=60)
        yield server


def slot(node: redis.Redis, key: str) -> int:
    return int(node.execute_command("CLUSTER", "KEYSLOT", key))


def test_merchant_api_and_checkout_work_end_to_end_on_the_cluster(cluster_app: Flask) -> None:
    """Catalog, links (idempotent), cart, order, orders list and revoke all work on a cluster."""
    api_key = add_merchant(cluster_app, "e2e")
    auth = {"Authorization": f"Bearer {api_key}"}
    web = cluster_app.test_client()

    put = web.put(
        "/api/v1/products/poster",
        json={"name": "Poster", "price": "12.50", "currency": "EUR"},
        headers=auth,
    )
    assert put.status_code == 201
    assert web.get("/api/v1/products/poster", headers=auth).json["price"] == "12.50"
    listed = web.get("/api/v1/products?limit=2", headers=auth).json
    second = web.get(f"/api/v1/products?cursor={listed['next_cursor']}", headers=auth).json
    ids = [p["id"] for p in listed["items"] + second["items"]]
    assert ids == sorted(["kit", "poster", "pro-licence", "support"])

    body = {"products": [{"id": "poster"}, {"id": "kit"}], "customer": {"email": "e@example.com"}}
    first = web.post("/api/v1/links", json=body, headers={**auth, "Idempotency-Key": "q-1"})
    again = web.post("/api/v1/links", json=body, headers={**auth, "Idempotency-Key": "q-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"]
    link = first.json

    page = web.get(link_path(link["url"]))
    assert page.status_code == 200
    placed = web.post(
        link_path(link["url"]),
        data={"csrf_token": csrf_of(page.text), "email": "e@example.com", **BERLIN},
    )
    assert placed.status_code == 303
    status = web.get(f"/api/v1/links/{link['id']}", headers=auth).json
    assert status["status"] == "completed"
    order = web.get(f"/api/v1/orders/{status['order_id']}", headers=auth).json
    assert (order["total"], order["customer"]["email"]) == ("62.40", "e@example.com")
    assert [o["id"] for o in web.get("/api/v1/orders", headers=auth).json["items"]] == [order["id"]]
    assert web.post(f"/api/v1/links/{link['id']}/revoke", headers=auth).status_code == 409

    other = web.post("/api/v1/links", json=body, headers=auth).json
    revoked = web.post(f"/api/v1/links/{other['id']}/revoke", headers=auth)
    assert revoked.json == {"id": other["id"], "status": "revoked"}
    assert web.get(link_path(other["url"])).status_code == 410
    assert web.get("/readyz").status_code == 200


def test_every_key_of_one_step_lives_in_one_slot(node: redis.Redis) -> None:
    """The spend's keys (mark, order, outbox, event, retries, leases, receipts, promotion, order
    number, payments due) and a payment transition's (its event too) share the link's slot,
    and the index step's keys (indexes, merchants, doorbell) share its part's slot, for links
    carrying any shard up to 16,383."""
    carried = [os.urandom(16) + shard.to_bytes(2, "big") for shard in (0, 15, 16, 999, 16383)]
    for rand in carried:
        shard = keys.shard_of(rand)
        spend_keys = [
            keys.link_mark(rand),
            keys.order(rand),
            keys.outbox(shard),
            keys.event(rand),
            keys.retries(shard),
            keys.delivery_lock(rand),
            keys.outbox_entries(shard),
            keys.receipts_due(shard),
            keys.receipt_lock(rand),
            keys.promotion_spent(rand),
            keys.promotion_fence(rand, "r1"),
            keys.order_number(shard, "acme", "7KQ4-M2XH-9D"),
            keys.payments_due(shard),
            # A payment event's id carries its order's shard (payments/transitions.py).
            keys.event(os.urandom(16) + shard.to_bytes(2, "big")),
        ]
        assert len({slot(node, key) for key in spend_keys}) == 1, spend_keys
        part = keys.part_of(shard)
        index_keys = [
            keys.order_index(part, "acme"),
            keys.event_index(part, "acme"),
            keys.shard_merchants(part),
            keys.ref_index(part, "acme", keys.ref_digest("quote-1")),
            keys.merchant_retries(part, "acme"),
            keys.doorbell(part),
            keys.doorbell_rings(part),
        ]
        assert len({slot(node, key) for key in index_keys}) == 1, index_keys
    assert {keys.shard_of(rand) for rand in carried} == {0, 15, 16, 999, 16383}


def test_catalog_and_merchant_keys_each_share_one_slot(node: redis.Redis) -> None:
    """A merchant's catalog keys share a slot, and so do its record, key list and idempotency."""
    for merchant in ("acme", "shop-2", "x9"):
        catalog = [
            keys.catalog_current(merchant, "p1"),
            keys.catalog_current(merchant, "other"),
            keys.catalog_snapshot(merchant, "p1", 42),
            keys.catalog_index(merchant),
        ]
        tenant = [
            keys.merchant(merchant),
            keys.merchant_keys(merchant),
            keys.idempotency(merchant, "ab" * 32),
        ]
        assert len({slot(node, key) for key in catalog}) == 1
        assert len({slot(node, key) for key in tenant}) == 1


def test_ledger_shards_spread_over_every_master(node: redis.Redis) -> None:
    """The 16 ledger shards land on all three masters, so spends scale out with the cluster."""
    owners = set()
    for start, end, master, *_ in node.execute_command("CLUSTER", "SLOTS"):
        for shard in range(keys.DEFAULT_SHARDS):
            if int(start) <= slot(node, keys.outbox(shard)) <= int(end):
                owners.add(int(master[1]))
    assert len(owners) == 3


def test_rate_limit_counters_live_in_the_cluster(cluster_url: str) -> None:
    """Two app instances on the cluster share one API-key budget and the excess answers 429."""
    one, two = (make_app(None, redis_url=cluster_url, rate_limit_api="4/minute") for _ in "ab")
    api_key = add_merchant(one, "limited")
    auth = {"Authorization": f"Bearer {api_key}"}
    statuses = [
        app.test_client().get("/api/v1/products", headers=auth).status_code
        for app in (one, two, one, two)
    ]
    assert statuses == [200] * 4
    refused = two.test_client().get("/api/v1/products", headers=auth)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1


def test_one_order_per_link_when_fifty_tabs_submit_at_once(
    cluster_app: Flask, cluster_gunicorn: ProcessServer
) -> None:
    """Fifty simultaneous submissions of a link to 2 gunicorn workers yield one 303, one order."""
    api_key = add_merchant(cluster_app, "race")
    auth = {"Authorization": f"Bearer {api_key}"}
    with http_client(cluster_gunicorn.url, limits=_pool(60)) as web:
        links = []
        for _ in range(10):
            link = issue_link(web, api_key, LINK)
            statuses = race_one_link(web, path_of(link["url"]), 50)
            assert statuses == Counter({303: 1, 409: 49}), statuses
            links.append(link)
        orders = web.get("/api/v1/orders?limit=100", headers=auth).json()["items"]
        events = web.get("/api/v1/events?limit=100", headers=auth).json()["items"]
        statuses_now = [
            web.get(f"/api/v1/links/{link['id']}", headers=auth).json() for link in links
        ]
    assert {s["status"] for s in statuses_now} == {"completed"}
    assert sorted(o["id"] for o in orders) == sorted(s["order_id"] for s in statuses_now)
    assert sorted(e["order_id"] for e in events) == sorted(o["id"] for o in orders)


def _pool(size: int) -> Any:
    import httpx

    return httpx.Limits(max_connections=size, max_keepalive_connections=size)


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, Any]]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.headers["webhook-id"], json.loads(body)))  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        """Silence the per-request stderr line."""


@pytest.fixture
def receiver() -> Iterator[ThreadingHTTPServer]:
    """A local webhook endpoint that records every delivery."""
    server = ThreadingHTTPServer((HOST, 0), _Receiver)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_worker_delivers_every_order_event_from_the_cluster(
    cluster_app: Flask, receiver: ThreadingHTTPServer
) -> None:
    """Twenty orders spread over the cluster's shards reach the merchant as 20 distinct events."""
    api_key = add_merchant(cluster_app, "hooks")
    svc: Services = cluster_app.extensions["checkout"]
    svc.merchants.set_webhook_url("hooks", f"http://{HOST}:{receiver.server_address[1]}/hook")
    web = cluster_app.test_client()
    auth = {"Authorization": f"Bearer {api_key}"}
    order_ids = set()
    for n in range(20):
        link = web.post("/api/v1/links", json=LINK, headers=auth).json
        page = web.get(link_path(link["url"]))
        form = {"csrf_token": csrf_of(page.text), "email": f"buyer{n}@example.com", **BERLIN}
        assert web.post(link_path(link["url"]), data=form).status_code == 303
        order_ids.add(web.get(f"/api/v1/links/{link['id']}", headers=auth).json["order_id"])
    shards = {keys.shard_of(link_rand_of_order(order_id)) for order_id in order_ids}

    worker = Worker(svc, consumer="test-worker")
    worker.ensure_groups()
    received: list[tuple[str, dict[str, Any]]] = receiver.received  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while {body["data"]["id"] for _, body in received} != order_ids:
        assert time.monotonic() < deadline, f"delivered {len(received)} of 20"
        if not worker.step():
            time.sleep(0.1)
    worker.http.close()

    events = web.get("/api/v1/events?limit=100", headers=auth).json["items"]
    assert {event_id for event_id, _ in received} == {e["id"] for e in events}
    assert len(events) == 20
    assert {e["state"] for e in events} == {"delivered"}
    assert len(shards) > 1  # the orders really came from several shards


def test_retention_pass_trims_every_shard_on_the_cluster(cluster_app: Flask) -> None:
    """The pass's per-shard pipelines run on the cluster and leave no index member behind."""
    from checkout_links.core.orders import retention
    from checkout_links.testing.seed import seed_orders

    add_merchant(cluster_app, "aging")
    svc: Services = cluster_app.extensions["checkout"]
    store = svc.redis
    base = int(time.time() * 1000)
    seeded = seed_orders(
        svc, "aging", 64, created_ms=lambda i: base + i, external_ref=lambda i: "quote-9"
    )
    parts = range(keys.INDEX_PARTS)

    def members() -> int:
        return sum(
            store.zcard(keys.order_index(p, "aging")) + store.zcard(keys.event_index(p, "aging"))
            for p in parts
        )

    # Other tests' orders here are older still: the pass trims them too, so
    # only this merchant's indexes are counted.
    retention.trim(store, retention_seconds=60, now_ms=base + 60_000)
    assert members() == 2 * len(seeded), "nothing at or inside the retention is trimmed"
    retention.trim(store, retention_seconds=60, now_ms=base + 60_064)
    assert members() == 0, "each order's order and event index member is gone"
    assert all(store.zscore(keys.shard_merchants(p), "aging") is None for p in parts)


def test_payment_transitions_run_on_the_cluster_in_every_shard(cluster_url: str) -> None:
    """On the cluster, with links spread over 1,000 shards, manual orders are placed pending,
    found by number, marked paid, refunded and canceled through the API, each change listed
    as one event of its order; the payment window cancels what is left unpaid."""
    app = make_app(None, redis_url=cluster_url, ledger_shards=1000, payment_window_seconds=1)
    auth = {"Authorization": f"Bearer {add_merchant(app, 'payer')}"}
    web = app.test_client()
    manual = {"provider": "manual", "instructions": "Bank transfer, quote the order number."}
    assert web.patch("/api/v1/account", json={"payment": manual}, headers=auth).status_code == 200
    orders = []
    for _ in range(6):
        link = web.post("/api/v1/links", json=LINK, headers=auth).json
        page = web.get(link_path(link["url"]))
        form = {"csrf_token": csrf_of(page.text), "email": "e@example.com", **BERLIN}
        assert web.post(link_path(link["url"]), data=form).status_code == 303
        orders.append(web.get(f"/api/v1/links/{link['id']}", headers=auth).json["order_id"])
    shards = {keys.shard_of(link_rand_of_order(o)) for o in orders}
    assert any(not keys.holds_its_part(s) for s in shards)
    paid, refunded, canceled, *unpaid = orders
    for order_id in (paid, refunded):
        number = web.get(f"/api/v1/orders/{order_id}", headers=auth).json["number"]
        found = web.get("/api/v1/orders", query_string={"number": number}, headers=auth).json
        assert [o["id"] for o in found["items"]] == [order_id]
        assert web.post(f"/api/v1/orders/{order_id}/mark_paid", headers=auth).status_code == 200
    assert (
        web.post(f"/api/v1/orders/{refunded}/refund", headers=auth).json["payment"]["status"]
        == "refunded"
    )
    assert web.post(f"/api/v1/orders/{canceled}/cancel", headers=auth).status_code == 200
    time.sleep(1.1)
    with app.app_context():
        assert expire(services().payments, sorted(shards), int(time.time() * 1000)) == 3
    events = web.get("/api/v1/events?limit=100", headers=auth).json["items"]
    types = Counter((e["order_id"], e["type"]) for e in events)
    assert types[(paid, "order.paid")] == 1
    assert types[(refunded, "order.refunded")] == 1
    assert types[(canceled, "order.canceled")] == 1
    for order_id in unpaid:
        assert types[(order_id, "order.canceled")] == 1
        status = web.get(f"/api/v1/orders/{order_id}", headers=auth).json["payment"]
        assert (status["status"], status["cancel_reason"]) == ("canceled", "expired")
    assert types[(refunded, "order.paid")] == 1
    # Six order.created, two order.paid, one order.refunded and four order.canceled.
    assert sum(types.values()) == 13
