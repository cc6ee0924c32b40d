"""Webhook delivery state on a real redis-server: the worker's passes driven by hand
(``Worker.step()``), a real receiver on 127.0.0.1, events read through the merchant API.

Each test decides when passes happen and waits for conditions, never for a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from checkout_links.core.storage import redis_keys as keys
from checkout_links.testing import add_merchant, make_app
from checkout_links.testing.servers import RedisServer
from checkout_links.testing.shop import event_of, place_order
from checkout_links.testing.webhook_receiver import Receiver
from checkout_links.web.extensions import services
from checkout_links.worker.deliverer import Worker

FAST = {"allow_private_webhooks": True, "webhook_timeout_seconds": 2.0}


class Shop:
    """An app over a real Redis, merchant ``acme`` with its webhook at a receiver, a worker."""

    def __init__(self, redis_url: str, receiver: Receiver, **settings: Any) -> None:
        self.redis = redis.Redis.from_url(redis_url)
        self.app: Flask = make_app(self.redis, **{**FAST, **settings})
        self.client: FlaskClient = self.app.test_client()
        self.auth = {"Authorization": f"Bearer {add_merchant(self.app)}"}
        self.receiver = receiver
        with self.app.app_context():
            services().merchants.set_webhook_url("acme", f"{receiver.url}/hook")
            self.worker = Worker(services(), "w1")
        self.worker.ensure_groups()

    def order(self) -> str:
        return place_order(self.client, self.auth)

    def event(self, order_id: str) -> dict[str, Any]:
        return event_of(self.client, self.auth, order_id)

    def events(self, query: str = "") -> list[dict[str, Any]]:
        answer = self.client.get(f"/api/v1/events?limit=100{query}", headers=self.auth)
        assert answer.status_code == 200, answer.get_json()
        return list(answer.get_json()["items"])

    def close(self) -> None:
        self.worker.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(slow_seconds=2.0) as rec:
        yield rec


@pytest.fixture
def shop(real_redis: RedisServer, receiver: Receiver) -> Iterator[Shop]:
    # A long first retry delay: any second attempt a test sees was not a due retry.
    built = Shop(real_redis.url, receiver, webhook_retry_base_seconds=120.0)
    try:
        yield built
    finally:
        built.close()


def test_a_stale_due_entry_does_not_skip_the_backoff(shop: Shop) -> None:
    """An event listed as due whose record says its retry is 1-2 minutes away (what a worker
    with a stale read of the due set acts on) is not attempted before that time."""
    shop.receiver.default = "500"
    order_id = shop.order()
    assert shop.worker.step() == 1
    failed = shop.event(order_id)
    assert (failed["state"], failed["attempts"]) == ("retrying", 1)
    assert failed["next_attempt_at"] is not None
    # The due set says "now", as it did for the second worker that read it before
    # the first one's attempt moved it.
    shard = next(s for s in range(keys.DEFAULT_SHARDS) if shop.redis.zcard(keys.retries(s)))
    shop.redis.zadd(keys.retries(shard), {failed["id"]: 0})
    for _ in range(3):
        shop.worker.step()
    assert len(shop.receiver.received()) == 1
    after = shop.event(order_id)
    assert (after["attempts"], after["next_attempt_at"]) == (1, failed["next_attempt_at"])


def test_done_events_leave_the_outbox_and_waiting_ones_stay(shop: Shop) -> None:
    """A delivered event's outbox entry is removed, and a retrying event's entry stays in the
    outbox through a trim, however old: the stream holds exactly what is not done."""
    delivered = shop.order()
    shop.worker.step()
    shop.receiver.plan(["500"])
    retrying = shop.order()
    shop.worker.step()
    assert shop.event(retrying)["state"] == "retrying"
    assert shop.event(delivered)["state"] == "delivered"
    shop.worker.outbox.trim(range(keys.DEFAULT_SHARDS))
    left = [
        fields[b"order_id"].decode()
        for shard in range(keys.DEFAULT_SHARDS)
        for _id, fields in shop.redis.xrange(keys.outbox(shard))
    ]
    assert left == [retrying]


def test_events_filter_by_state_and_type(shop: Shop) -> None:
    """GET /api/v1/events?state=... lists only events in that delivery state, ?type=... only
    that type, and an unknown state is a 422 naming the parameter."""
    delivered = shop.order()
    shop.worker.step()
    shop.receiver.plan(["500"])
    retrying = shop.order()
    shop.worker.step()
    pending = shop.order()
    by_state = {
        state: [e["order_id"] for e in shop.events(f"&state={state}")]
        for state in ("pending", "retrying", "delivered", "dead")
    }
    assert by_state == {
        "pending": [pending],
        "retrying": [retrying],
        "delivered": [delivered],
        "dead": [],
    }
    assert len(shop.events("&type=order.created")) == 3
    assert shop.events("&type=order.refunded") == []
    assert [e["order_id"] for e in shop.events("&type=order.created&state=retrying")] == [retrying]
    bad = shop.client.get("/api/v1/events?state=lost", headers=shop.auth)
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["loc"] == ["query", "state"]


def test_a_filtered_listing_pages_through_every_match(shop: Shop) -> None:
    """Paging a filtered listing with next_cursor yields each matching event exactly once,
    also when the newest events (the first ones looked at) do not match."""
    shop.receiver.default = "500"
    retrying = set()
    for _ in range(5):
        retrying.add(shop.order())
        shop.worker.step()
    for _ in range(7):
        shop.order()
    assert {e["order_id"] for e in shop.events("&state=retrying")} == retrying
    seen: list[str] = []
    cursor = ""
    while True:
        page = shop.client.get(
            f"/api/v1/events?limit=2&state=retrying&cursor={cursor}", headers=shop.auth
        ).get_json()
        seen += [e["order_id"] for e in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(retrying)


def test_a_redirect_says_where_it_pointed(shop: Shop) -> None:
    """An endpoint answering 302 leaves the event retrying with last_error naming the
    Location (query string left out) and saying redirects are not followed."""
    shop.receiver.plan(["redirect"])
    order_id = shop.order()
    shop.worker.step()
    event = shop.event(order_id)
    assert event["last_status"] == 302
    assert event["last_error"] == (
        f"HTTP 302 redirect to {shop.receiver.url}/elsewhere (redirects are not followed)"
    )
    assert shop.receiver.received("/elsewhere") == []


def test_an_empty_state_filter_is_refused(shop: Shop) -> None:
    """?state= with no value is a 422 like any other unknown state, not an unfiltered list."""
    shop.order()
    answer = shop.client.get("/api/v1/events?state=", headers=shop.auth)
    assert answer.status_code == 422
