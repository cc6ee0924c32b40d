"""The webhook worker as it runs in production: real ``checkout-links worker`` processes over a
real redis-server, delivering to a real HTTP receiver on 127.0.0.1.

Orders are placed in this process through a Flask test client of an app over the same Redis.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from standardwebhooks import Webhook

from checkout_links.testing.shop import event_of, place_order
from checkout_links.testing.workers import Stack

pytestmark = pytest.mark.slow

ORDERS = 200


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
