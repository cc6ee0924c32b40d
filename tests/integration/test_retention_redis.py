"""Order retention on a real redis-server: TTLs from the spend, the worker's trimming, memory."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis
from flask import Flask

from checkout_links.core.links.ids import event_id_for, link_rand_of_order
from checkout_links.core.orders import retention
from checkout_links.core.services import Services
from checkout_links.core.storage import redis_keys as keys
from checkout_links.testing import add_merchant, make_app
from checkout_links.testing.seed import Seeded, seed_orders
from checkout_links.testing.servers import RedisServer, wait_until
from checkout_links.testing.webhook_receiver import Receiver
from checkout_links.worker.deliverer import Worker

#: Long enough for a loaded machine to deliver and list a round before it expires.
RETENTION = 15
ROUND = 200


def retention_app(server: RedisServer, retention_seconds: int) -> Flask:
    """The app on ``server`` with a short order retention and marks that go with their link."""
    return make_app(
        redis.Redis.from_url(server.url),
        redis_url=server.url,
        rate_limits_enabled=False,
        allow_private_webhooks=True,
        order_retention_seconds=retention_seconds,
        ledger_retention_seconds=0,
        clock_skew_seconds=0,
    )


def deliver_all(worker: Worker, receiver: Receiver, count: int) -> None:
    """Run the real worker until ``count`` distinct events reached the receiver."""
    # Past the retention the records are gone and the rest is never delivered.
    deadline = time.monotonic() + RETENTION
    while len(receiver.ids("ok")) < count:
        assert time.monotonic() < deadline, f"delivered {len(receiver.ids('ok'))} of {count}"
        if not worker.step():
            time.sleep(0.05)


def used_memory(store: redis.Redis) -> int:
    """``used_memory`` less the connections' buffers, which come and go with the clients."""
    info = store.info("memory")
    return int(info["used_memory"]) - int(info["mem_clients_normal"]) - int(info["mem_aof_buffer"])


def one_round(
    app: Flask, auth: dict[str, str], worker: Worker, receiver: Receiver, n: int
) -> list[Seeded]:
    """Place ``n`` orders (half with an external_ref, links valid 2 s), deliver and list them."""
    svc: Services = app.extensions["checkout"]
    before = len(receiver.ids("ok"))
    seeded = seed_orders(
        svc,
        "acme",
        n,
        external_ref=lambda i: f"quote-{i % 7}" if i % 2 else None,
        link_ttl=2,
    )
    deliver_all(worker, receiver, before + n)
    listed = {o["id"] for o in listed_orders(app, auth)}
    assert listed == {s.order_id for s in seeded}, "every order is kept until its retention"
    return seeded


def expire_and_trim(
    store: redis.Redis, worker: Worker, seeded: list[Seeded], keys_before: int
) -> None:
    """Wait out ``seeded``'s retention, let the worker's pass trim, wait for Redis to expire."""
    # The outbox entry's id is Redis's time at the spend, a little after the
    # order's created_ms (the seeder builds a whole batch before sending it).
    last = max(s.created_ms for s in seeded) + RETENTION * 1000 + 1000
    wait_until("the retention to pass", lambda: time.time() * 1000 > last, RETENTION + 5)
    worker.retention.every_seconds = 0  # its next step runs the pass (else once a minute)
    worker.step()
    wait_until("expired keys to go", lambda: store.dbsize() == keys_before, 30)


@pytest.mark.slow
@pytest.mark.own_redis  # measures the server's memory: no other test's allocations
def test_memory_returns_to_its_baseline_once_the_retention_has_passed(
    real_redis: RedisServer,
) -> None:
    """After the retention and one retention pass, Redis holds what it held before the orders."""
    app = retention_app(real_redis, RETENTION)
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    svc: Services = app.extensions["checkout"]
    store = real_redis.client()
    with Receiver() as receiver:
        svc.merchants.set_webhook_url("acme", f"{receiver.url}/hook")
        worker = Worker(svc, consumer="retention-test")
        worker.ensure_groups()
        # One pass joins the workers' set and rings every shard once: that
        # bookkeeping (a heartbeat and a ring counter per part) is permanent.
        worker.step()
        keys_before = store.dbsize()
        # The first rounds allocate what Redis then keeps (the script cache, the
        # consumer, tables sized for the peak), so the baseline is taken after two.
        for _ in range(2):
            expire_and_trim(
                store, worker, one_round(app, auth, worker, receiver, ROUND), keys_before
            )
        baseline = used_memory(store)

        seeded = one_round(app, auth, worker, receiver, ROUND)
        peak = used_memory(store)

        expire_and_trim(store, worker, seeded, keys_before)
        after = used_memory(store)
        worker.http.close()
    grown = peak - baseline
    assert grown > ROUND * 1000, f"{ROUND} orders took only {grown} bytes: nothing was measured"
    # Kept orders would leave all of ``grown``. What Redis keeps once every key
    # is gone (stream nodes, hash tables sized for the peak until a cron shrinks
    # them) has been seen from 2 % to 13 % of it, depending on when the cron ran.
    assert after - baseline < grown // 4, (baseline, peak, after)
    assert not listed_orders(app, auth)
    print(f"retention: baseline {baseline} B, {ROUND} orders +{grown} B, after {after} B")
    store.close()


def listed_orders(app: Flask, auth: dict[str, str]) -> list[dict[str, Any]]:
    """Every order the merchant API lists (all pages)."""
    web = app.test_client()
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = web.get(f"/api/v1/orders?limit=100&cursor={cursor}", headers=auth).get_json()
        items.extend(page["items"])
        if not page["next_cursor"]:
            return items
        cursor = page["next_cursor"]


def test_ttls_are_set_by_the_spend_and_the_pass_keeps_everything_younger(
    real_redis: RedisServer,
) -> None:
    """Order, event record and ref index expire exactly at created + retention; trim spares them."""
    app = retention_app(real_redis, 3600)
    add_merchant(app)
    svc: Services = app.extensions["checkout"]
    store = real_redis.client()
    base = int(time.time() * 1000)
    seeded = seed_orders(
        svc, "acme", 40, created_ms=lambda i: base + i, external_ref=lambda i: "quote-1"
    )
    for s in seeded:
        rand = link_rand_of_order(s.order_id)
        assert store.pexpiretime(keys.order(rand)) == s.created_ms + 3600_000
        assert store.pexpiretime(keys.event(rand)) == s.created_ms + 3600_000

    def part(order_id: str) -> int:
        return keys.part_of(keys.shard_of(link_rand_of_order(order_id)))

    newest_part = part(seeded[-1].order_id)
    newest_in_part = max(s.created_ms for s in seeded if part(s.order_id) == newest_part)
    ref_key = keys.ref_index(newest_part, "acme", keys.ref_digest("quote-1"))
    assert store.pexpiretime(ref_key) == newest_in_part + 3600_000

    # At exactly the retention of the oldest order nothing is due yet...
    kept = retention.trim(store, retention_seconds=3600, now_ms=base + 3600_000)
    assert (kept.index_members, kept.merchants) == (0, 0)
    # ...one millisecond later its order and event index members go, nothing else.
    gone = retention.trim(store, retention_seconds=3600, now_ms=base + 3600_001)
    assert gone.index_members == 2
    oldest = link_rand_of_order(seeded[0].order_id)
    oldest_part = part(seeded[0].order_id)
    assert store.zscore(keys.order_index(oldest_part, "acme"), seeded[0].order_id) is None
    assert store.zscore(keys.event_index(oldest_part, "acme"), event_id_for(oldest)) is None
    remaining = sum(store.zcard(keys.order_index(p, "acme")) for p in range(keys.INDEX_PARTS))
    assert remaining == 39
    store.close()
