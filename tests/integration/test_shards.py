"""Shards that can grow: links carry their shard, listing and workers cost the same at 16,384.

The command counts come from a real redis-server's ``INFO commandstats``: they
are what a request or a worker pass really sends, not what the code says.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask

from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import InvalidToken
from checkout_links.core.links.ids import (
    LinkIds,
    event_id_for,
    link_rand_of_event,
    link_rand_of_order,
    order_id_for,
)
from checkout_links.core.services import Services
from checkout_links.core.storage import redis_keys as keys
from checkout_links.testing import BERLIN, SECRET_A, add_merchant, csrf_of, link_path, make_app
from checkout_links.testing.servers import RedisServer
from checkout_links.worker.deliverer import Worker

LINK = {"products": [{"id": "kit", "quantity": 1}], "customer": {"email": "ana@example.com"}}


def test_a_new_link_carries_the_shard_drawn_from_the_configured_count() -> None:
    """A link's random id names its shard, drawn uniformly from ``0..shards-1``."""
    drawn = {keys.shard_of(keys.new_link_rand(5)) for _ in range(500)}
    assert drawn == {0, 1, 2, 3, 4}
    assert all(keys.shard_of(keys.new_link_rand(16384)) < 16384 for _ in range(500))
    with pytest.raises(ValueError, match="shards must be"):
        keys.new_link_rand(16385)


def test_a_random_id_without_its_shard_is_refused() -> None:
    """Only the 18-byte random id names a shard: a 16-byte one is no link's, and its ids are
    refused."""
    with pytest.raises(ValueError, match="18 bytes"):
        keys.shard_of(bytes(16))
    assert keys.shard_of(bytes([0x2B]) + bytes(15) + (700).to_bytes(2, "big")) == 700
    with pytest.raises(InvalidToken):
        link_rand_of_order(order_id_for(os.urandom(16)))
    with pytest.raises(ValueError, match="18 bytes"):
        LinkIds(KeyRing((SECRET_A,))).make(os.urandom(16), 2_000_000_000, "acme")


def test_link_and_order_ids_round_trip() -> None:
    """Link ids (47 characters) and order ids (28) give back their random id."""
    ids = LinkIds(KeyRing((SECRET_A,)))
    rand = keys.new_link_rand(16384)
    link_id = ids.make(rand, 2_000_000_000, "acme")
    assert len(link_id) == 47
    assert ids.parse(link_id, "acme") == (rand, 2_000_000_000)
    assert link_rand_of_order(order_id_for(rand)) == rand
    with pytest.raises(InvalidToken):
        ids.parse(link_id[:44], "acme")
    with pytest.raises(InvalidToken):
        ids.parse(ids.make(keys.new_link_rand(16), 2_000_000_000, "acme"), "other-merchant")


def test_an_id_naming_a_shard_past_the_maximum_is_refused() -> None:
    """An order or event id whose shard bytes say 16,384 or more is malformed, not a lookup."""
    beyond = os.urandom(16) + (16384).to_bytes(2, "big")
    with pytest.raises(InvalidToken):
        link_rand_of_order(order_id_for(beyond))
    with pytest.raises(InvalidToken):
        link_rand_of_event("evt_" + order_id_for(beyond)[4:])


@pytest.fixture
def server(tmp_path: Any) -> Iterator[RedisServer]:
    """A real redis-server of its own (the counts below must be this test's alone)."""
    with RedisServer(tmp_path / "redis") as running:
        yield running


def wide_app(server: RedisServer, **settings: Any) -> Flask:
    """The app with the maximum of 16,384 shards on ``server``."""
    return make_app(
        redis.Redis.from_url(server.url),
        ledger_shards=16384,
        rate_limits_enabled=False,
        allow_private_webhooks=True,
        **settings,
    )


def place(app: Flask, auth: dict[str, str], n: int) -> list[str]:
    """Issue and redeem ``n`` links through the customer page; returns their order ids."""
    web = app.test_client()
    order_ids = []
    for _ in range(n):
        link = web.post("/api/v1/links", json=LINK, headers=auth).get_json()
        page = web.get(link_path(link["url"]))
        form = {"csrf_token": csrf_of(page.text), "email": "ana@example.com", **BERLIN}
        assert web.post(link_path(link["url"]), data=form).status_code == 303
        status = web.get(f"/api/v1/links/{link['id']}", headers=auth).get_json()
        order_ids.append(status["order_id"])
    return order_ids


def calls(store: redis.Redis) -> dict[str, int]:
    """Commands served since the last ``CONFIG RESETSTAT``, by name."""
    stats = store.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}


def test_listing_orders_reads_sixteen_index_parts_at_sixteen_thousand_shards(
    server: RedisServer,
) -> None:
    """A page of orders, and one of events, at 16,384 shards reads the 16 index parts (plus the
    records found), not one key per shard, and still lists every one."""
    app = wide_app(server)
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    order_ids = place(app, auth, 30)
    shards = {keys.shard_of(link_rand_of_order(o)) for o in order_ids}
    assert len(shards) > 16, "the orders really are spread past the first 16 shards"
    store = server.client()
    store.config_resetstat()
    listed = app.test_client().get("/api/v1/orders?limit=100", headers=auth).get_json()
    used = calls(store)
    assert {o["id"] for o in listed["items"]} == set(order_ids)
    assert used.get("zrevrangebyscore", 0) <= 2 * keys.INDEX_PARTS
    assert used.get("get", 0) <= len(order_ids) + 5  # the orders, the merchant and its key
    assert sum(used.values()) < 100
    store.config_resetstat()
    events = app.test_client().get("/api/v1/events?limit=100", headers=auth).get_json()
    used = calls(store)
    assert {e["order_id"] for e in events["items"]} == set(order_ids)
    assert used.get("zrevrangebyscore", 0) <= 2 * keys.INDEX_PARTS
    assert sum(used.values()) < 100


def test_an_idle_worker_pass_reads_the_doorbells_and_no_stream(server: RedisServer) -> None:
    """At 16,384 shards, once the start-up census is settled, an idle pass sends a few dozen
    commands (the 16 doorbells, a heartbeat) and reads no shard's stream or due set."""
    app = wide_app(server)
    svc: Services = app.extensions["checkout"]
    worker = Worker(svc, "idle")
    try:
        worker.step()  # joins and rings all 16,384 shards: the census
        while worker.step() or any(server.client().zcard(keys.doorbell(p)) for p in range(16)):
            pass  # visits them, 256 per doorbell and pass, until every doorbell is quiet
        store = server.client()
        store.config_resetstat()
        worker._last_membership = float("-inf")  # the heartbeat is part of a pass too
        assert worker.step() == 0
        used = calls(store)
    finally:
        worker.close()
    assert used.get("zrangebyscore", 0) == keys.INDEX_PARTS
    assert "xreadgroup" not in used
    assert "xpending" not in used
    assert sum(used.values()) <= keys.INDEX_PARTS + 10


def test_a_pass_after_one_order_visits_only_that_orders_shard(server: RedisServer) -> None:
    """One order at 16,384 shards: the next pass reads exactly one stream and delivers it."""
    app = wide_app(server)
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    svc: Services = app.extensions["checkout"]
    worker = Worker(svc, "one")
    try:
        worker.step()
        while worker.step() or any(server.client().zcard(keys.doorbell(p)) for p in range(16)):
            pass
        (order_id,) = place(app, auth, 1)
        store = server.client()
        store.config_resetstat()
        assert worker.step() == 1  # no webhook URL: one lease, recorded as skipped
        used = calls(store)
    finally:
        worker.close()
    assert used.get("xreadgroup") == 1
    event = app.test_client().get("/api/v1/events", headers=auth).get_json()["items"][0]
    assert (event["order_id"], event["state"], event["attempts"]) == (order_id, "skipped", 0)


def test_an_order_whose_index_step_was_lost_is_listed_once_the_worker_reads_it(
    server: RedisServer,
) -> None:
    """If the placing process dies after the spend but before the index step, the order is
    still listed after the worker took its event from the outbox (and its lost ring is made up
    by the census)."""
    app = wide_app(server)
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    svc: Services = app.extensions["checkout"]
    # Only a shard past the first 16 has a separate index step to lose (1 in 1,024 is not).
    order_id = next(
        o
        for o in (place(app, auth, 1)[0] for _ in range(5))
        if keys.shard_of(link_rand_of_order(o)) >= 16
    )
    rand = link_rand_of_order(order_id)
    shard = keys.shard_of(rand)
    part = keys.part_of(shard)
    store = server.client()
    # What the process that died would not have written:
    store.zrem(keys.order_index(part, "acme"), order_id)
    store.zrem(keys.event_index(part, "acme"), event_id_for(rand))
    store.zrem(keys.doorbell(part), str(shard))
    web = app.test_client()

    def listed(what: str) -> set[str]:
        items = web.get(f"/api/v1/{what}?limit=100", headers=auth).get_json()["items"]
        return {item["id"] if what == "orders" else item["order_id"] for item in items}

    assert order_id not in listed("orders")
    assert order_id not in listed("events")
    worker = Worker(svc, "repair")
    try:
        # The start-up census rings every shard; its visits (256 shards per doorbell and
        # pass) reach the order's shard within 16,384 / 16 / 256 = 4 passes.
        for _ in range(6):
            worker.step()
    finally:
        worker.close()
    assert order_id in listed("orders")
    assert order_id in listed("events")
