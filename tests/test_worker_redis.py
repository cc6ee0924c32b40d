"""The webhook worker as it runs in production: real ``checkout-links worker`` processes over a
real redis-server, delivering to a real HTTP receiver on 127.0.0.1.

Orders are placed in this process through a Flask test client of an app over the same Redis.
"""

from __future__ import annotations

import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from standardwebhooks import Webhook

from checkout_links.testing import SECRET_A, add_merchant, make_app
from checkout_links.testing.servers import ProcessServer, RedisServer, free_port
from checkout_links.web.extensions import services
from tests.support.webhook_receiver import Receiver
from tests.test_webhooks import event_of, place_order

pytestmark = pytest.mark.slow

ORDERS = 200
# The console script next to this interpreter (skips the pyenv shim), else the one on PATH.
_SCRIPT = shutil.which("checkout-links", path=str(Path(sys.executable).parent)) or "checkout-links"


class Stack:
    """An app over a real Redis, a merchant whose webhook points at a receiver, and workers."""

    def __init__(self, redis_server: RedisServer, receiver: Receiver, tmp_path: Path) -> None:
        self.redis_url = redis_server.url
        self.receiver = receiver
        self.tmp_path = tmp_path
        self.app: Flask = make_app(
            redis.Redis.from_url(self.redis_url),
            allow_private_webhooks=True,
            rate_limits_enabled=False,
        )
        self.client: FlaskClient = self.app.test_client()
        self.auth = {"Authorization": f"Bearer {add_merchant(self.app)}"}
        with self.app.app_context():
            svc = services()
            svc.merchants.set_webhook_url("acme", f"{receiver.url}/hook")
            self.secret = svc.merchants.webhook_secrets("acme")[0]
        self.workers: list[ProcessServer] = []

    def start_worker(self, name: str, **env: str) -> ProcessServer:
        """Start ``checkout-links worker --consumer NAME`` and wait until it runs its loop."""
        worker = ProcessServer(
            [_SCRIPT, "worker", "--consumer", name],
            port=free_port(),  # a worker listens on nothing; ProcessServer wants a port
            log_path=self.tmp_path / f"worker-{name}.log",
            env={
                "CHECKOUT_REDIS_URL": self.redis_url,
                "CHECKOUT_SECRET_KEYS": SECRET_A,
                "CHECKOUT_ALLOW_PRIVATE_WEBHOOKS": "true",
                "CHECKOUT_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
                "CHECKOUT_WEBHOOK_TIMEOUT_SECONDS": "2",
                **env,
            },
            name=f"worker-{name}",
        )
        self.workers.append(worker.start())
        self.receiver.wait_for(
            f"{name} to start",
            lambda: "webhook worker started" in worker.log_text() or not worker.running,
            timeout=30,
        )
        assert worker.running, worker.log_tail()
        return worker

    def events(self) -> list[dict[str, Any]]:
        """Every event of the merchant, through the paginated API."""
        items: list[dict[str, Any]] = []
        cursor = ""
        while True:
            page = self.client.get(
                f"/api/v1/events?limit=100&cursor={cursor}", headers=self.auth
            ).get_json()
            items += page["items"]
            if not page["next_cursor"]:
                return items
            cursor = page["next_cursor"]

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()


@pytest.fixture
def stack(real_redis: RedisServer, tmp_path: Path) -> Iterator[Stack]:
    with Receiver(ok_delay=0.005) as receiver:
        built = Stack(real_redis, receiver, tmp_path)
        try:
            yield built
        finally:
            built.stop()


def test_two_workers_deliver_every_event_never_twice_at_once(
    stack: Stack, record_property: Any
) -> None:
    """Two workers running side by side deliver all 200 orders' events: none is lost and no
    event is ever in flight twice at the same time."""
    rec = stack.receiver
    workers = [stack.start_worker("w1"), stack.start_worker("w2")]
    order_ids = [place_order(stack.client, stack.auth) for _ in range(ORDERS)]
    rec.wait_for(f"{ORDERS} events delivered", lambda: len(rec.ids("ok")) == ORDERS, 60)
    stack.receiver.wait_for(
        "every event recorded as delivered",
        lambda: all(e["state"] == "delivered" for e in stack.events()),
        timeout=30,
    )
    for worker in workers:
        worker.stop()
        assert worker.returncode == 0, worker.log_tail()

    events = stack.events()
    deliveries = rec.ids()
    total = sum(deliveries.values())
    duplicates = total - len(deliveries)
    record_property("deliveries", total)
    record_property("duplicates", duplicates)
    print(f"\n{ORDERS} orders: {total} deliveries, {duplicates} duplicates")
    assert sorted(e["order_id"] for e in events) == sorted(order_ids)
    assert set(deliveries) == {e["id"] for e in events}
    assert len(deliveries) == ORDERS
    assert max(rec.max_in_flight.values()) == 1
    for delivery in rec.received()[:5]:
        assert Webhook(stack.secret).verify(delivery.body, delivery.headers)
    # Each worker took part (both read from the same consumer group).
    for worker in workers:
        assert '"outcome":"ok"' in worker.log_text(), worker.log_tail()


def test_event_of_a_killed_worker_is_delivered_by_another(stack: Stack) -> None:
    """An event whose worker is SIGKILLed mid-delivery is delivered by another worker once the
    dead worker's lease has lapsed, with the same webhook-id."""
    rec = stack.receiver
    fast_takeover = {
        "CHECKOUT_WEBHOOK_TIMEOUT_SECONDS": "1",  # lease: timeout + 10 s
        "CHECKOUT_WEBHOOK_CLAIM_IDLE_MS": "500",
    }
    rec.plan(["block"])
    doomed = stack.start_worker("doomed", **fast_takeover)
    order_id = place_order(stack.client, stack.auth)
    rec.wait_for("the first attempt to arrive", lambda: bool(rec.received()))
    doomed.kill()
    assert doomed.returncode == -9
    rec.release.set()

    stack.start_worker("heir", **fast_takeover)
    rec.wait_for("the heir's delivery", lambda: bool(rec.ids("ok")), timeout=40)
    rec.wait_for(
        "the event recorded as delivered",
        lambda: event_of(stack.client, stack.auth, order_id)["state"] == "delivered",
    )
    event_id = event_of(stack.client, stack.auth, order_id)["id"]
    first, second = rec.received()
    assert first.action == "block"
    assert second.action == "ok"
    assert first.webhook_id == second.webhook_id == event_id
    assert first.body == second.body
    assert Webhook(stack.secret).verify(second.body, second.headers)


def test_sigterm_stops_an_idle_worker_cleanly(stack: Stack) -> None:
    """SIGTERM makes an idle worker leave its loop and exit with status 0."""
    worker = stack.start_worker("idle")
    worker.stop(timeout=5)
    assert worker.returncode == 0, worker.log_tail()
    assert "webhook worker stopped" in worker.log_text()


def test_sigterm_lets_the_current_attempt_finish(stack: Stack) -> None:
    """SIGTERM during a delivery lets that attempt finish and be recorded, then the worker exits
    with status 0."""
    rec = stack.receiver
    rec.plan(["block"])
    worker = stack.start_worker("busy")
    order_id = place_order(stack.client, stack.auth)
    rec.wait_for("the attempt to arrive", lambda: bool(rec.received()))
    # Answer shortly after the SIGTERM that stop() sends right away.
    threading.Timer(0.5, rec.release.set).start()
    worker.stop(timeout=10)
    assert worker.returncode == 0, worker.log_tail()
    assert event_of(stack.client, stack.auth, order_id)["state"] == "delivered"
    assert len(rec.received()) == 1
