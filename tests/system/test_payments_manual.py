"""The manual payment provider end to end: real ``checkout-links worker`` processes over a real
redis-server deliver each payment event once to a real HTTP receiver on 127.0.0.1.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import pytest
import redis
from standardwebhooks import Webhook

from checkout_links.testing import make_app
from checkout_links.testing.shop import place_order
from checkout_links.testing.workers import Stack

pytestmark = pytest.mark.slow

MANUAL = {"provider": "manual", "instructions": "IBAN DE89 3704 0044 0532 0130 00\nQuote: number"}


def _bodies(stack: Stack) -> list[dict[str, Any]]:
    """Every delivered event body, verified, in the order received (one per event id)."""
    seen: dict[str, dict[str, Any]] = {}
    for delivery in stack.receiver.received():
        if delivery.action == "ok":
            seen.setdefault(
                delivery.webhook_id, Webhook(stack.secret).verify(delivery.body, delivery.headers)
            )
    return list(seen.values())


def _of(stack: Stack, order_id: str) -> list[dict[str, Any]]:
    return [b for b in _bodies(stack) if b["data"]["id"] == order_id]


def _wait_types(stack: Stack, order_id: str, types: list[str]) -> list[dict[str, Any]]:
    stack.receiver.wait_for(
        f"{types} of {order_id}",
        lambda: sorted(b["type"] for b in _of(stack, order_id)) == sorted(types),
        timeout=30,
    )
    return _of(stack, order_id)


def test_manual_orders_emit_each_payment_event_once(stack: Stack) -> None:
    """Placed → order.created (pending, with its number); mark_paid → one order.paid, a repeat
    nothing; a partial refund then the rest → two order.refunded; cancel → one order.canceled.
    Each body carries the order with its payment as that change left it."""
    web, auth = stack.client, stack.auth
    assert web.patch("/api/v1/account", json={"payment": MANUAL}, headers=auth).status_code == 200
    worker = stack.start_worker("w1")
    order_id = place_order(web, auth)
    (created,) = _wait_types(stack, order_id, ["order.created"])
    assert created["data"]["payment"]["status"] == "pending"
    assert (
        created["data"]["number"]
        == web.get(f"/api/v1/orders/{order_id}", headers=auth).json["number"]
    )

    base = f"/api/v1/orders/{order_id}"
    assert (
        web.post(f"{base}/mark_paid", json={"reference": "TRX-1"}, headers=auth).status_code == 200
    )
    assert (
        web.post(f"{base}/mark_paid", json={"reference": "TRX-1"}, headers=auth).status_code == 200
    )
    bodies = _wait_types(stack, order_id, ["order.created", "order.paid"])
    paid = next(b for b in bodies if b["type"] == "order.paid")
    assert (paid["data"]["payment"]["status"], paid["data"]["payment"]["reference"]) == (
        "paid",
        "TRX-1",
    )
    assert paid["created_at"] == paid["data"]["payment"]["paid_at"]

    assert web.post(f"{base}/refund", json={"amount": "10.00"}, headers=auth).status_code == 200
    assert web.post(f"{base}/refund", headers=auth).status_code == 200
    bodies = _wait_types(
        stack, order_id, ["order.created", "order.paid", "order.refunded", "order.refunded"]
    )
    refunds = sorted(
        (b["data"]["payment"]["amount_refunded"], b["data"]["payment"]["status"])
        for b in bodies
        if b["type"] == "order.refunded"
    )
    total = created["data"]["total"]
    assert refunds == sorted([("10.00", "partially_refunded"), (total, "refunded")])
    # The first event still says what it said: its payment as placed.
    assert next(b for b in bodies if b["type"] == "order.created") == created

    other = place_order(web, auth)
    assert web.post(f"/api/v1/orders/{other}/cancel", headers=auth).status_code == 200
    (canceled,) = [
        b
        for b in _wait_types(stack, other, ["order.created", "order.canceled"])
        if b["type"] == "order.canceled"
    ]
    assert canceled["data"]["payment"]["cancel_reason"] == "merchant"

    # Nothing more arrives: the repeat emitted nothing.
    time.sleep(1.0)
    assert Counter(b["type"] for b in _bodies(stack)) == {
        "order.created": 2,
        "order.paid": 1,
        "order.refunded": 2,
        "order.canceled": 1,
    }
    worker.stop()
    assert worker.returncode == 0, worker.log_tail()


def test_two_workers_cancel_unpaid_orders_past_the_window_once(stack: Stack) -> None:
    """With a 2-second payment window and two workers running, each unpaid order gets exactly
    one order.canceled (expired) and the paid one none."""
    window = {"CHECKOUT_PAYMENT_WINDOW_SECONDS": "2"}
    app = make_app(
        redis.Redis.from_url(stack.redis_url),
        allow_private_webhooks=True,
        rate_limits_enabled=False,
        payment_window_seconds=2,
    )
    web, auth = app.test_client(), stack.auth
    assert web.patch("/api/v1/account", json={"payment": MANUAL}, headers=auth).status_code == 200
    workers = [stack.start_worker("w1", **window), stack.start_worker("w2", **window)]
    orders = [place_order(web, auth) for _ in range(5)]
    assert web.post(f"/api/v1/orders/{orders[0]}/mark_paid", headers=auth).status_code == 200
    for order_id in orders[1:]:
        _wait_types(stack, order_id, ["order.created", "order.canceled"])
    time.sleep(2.0)  # two more passes of each worker: nothing else may come
    kinds = Counter((b["data"]["id"], b["type"]) for b in _bodies(stack))
    assert kinds[(orders[0], "order.canceled")] == 0
    assert kinds[(orders[0], "order.paid")] == 1
    for order_id in orders[1:]:
        assert kinds[(order_id, "order.canceled")] == 1
        payment = web.get(f"/api/v1/orders/{order_id}", headers=auth).json["payment"]
        assert (payment["status"], payment["cancel_reason"]) == ("canceled", "expired")
    canceled = [b for b in _bodies(stack) if b["type"] == "order.canceled"]
    assert all(json.dumps(b["data"]["payment"]["cancel_reason"]) == '"expired"' for b in canceled)
    for worker in workers:
        worker.stop()
        assert worker.returncode == 0, worker.log_tail()
