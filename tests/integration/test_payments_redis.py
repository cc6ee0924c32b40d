"""Order payments on a real redis-server: transitions, their events, the API's order actions."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from checkout_links.core.errors import DuplicatePayment, PaymentMismatch
from checkout_links.core.links.ids import link_rand_of_order
from checkout_links.core.orders.numbers import number_for
from checkout_links.core.orders.queries import decode_order
from checkout_links.core.orders.rewrite import rewrite
from checkout_links.core.orders.sealed import erased
from checkout_links.core.payments.transitions import OrderPayments
from checkout_links.core.payments.window import expire
from checkout_links.core.storage import redis_keys as keys
from checkout_links.testing import BERLIN, add_merchant, csrf_of, link_path, make_app, problem_body
from checkout_links.testing.servers import RedisServer
from checkout_links.testing.shop import place_order
from checkout_links.web.extensions import services

INSTRUCTIONS = "Pay by bank transfer to DE89 3704 0044 0532 0130 00, quoting your order number."


@pytest.fixture
def shop(real_redis: RedisServer) -> tuple[Flask, FlaskClient, dict[str, str]]:
    """An app over the real server, merchant acme with the manual provider."""
    client = redis.Redis.from_url(real_redis.url)
    app = make_app(client, redis_url=real_redis.url, rate_limits_enabled=False)
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    web = app.test_client()
    patched = web.patch(
        "/api/v1/account",
        json={"payment": {"provider": "manual", "instructions": INSTRUCTIONS}},
        headers=auth,
    )
    assert patched.status_code == 200
    return app, web, auth


def _payments(app: Flask) -> OrderPayments:
    with app.app_context():
        return services().payments


def _events(web: FlaskClient, auth: dict[str, str], order_id: str) -> list[str]:
    items = web.get("/api/v1/events?limit=100", headers=auth).get_json()["items"]
    return sorted(e["type"] for e in items if e["order_id"] == order_id)


def _order(web: FlaskClient, auth: dict[str, str], order_id: str) -> dict[str, Any]:
    body: dict[str, Any] = web.get(f"/api/v1/orders/{order_id}", headers=auth).get_json()
    return body


def test_a_manual_order_awaits_payment_with_a_number_the_api_finds(
    shop: tuple[Flask, FlaskClient, dict[str, str]], real_redis: RedisServer
) -> None:
    """A manual order is placed pending with its number, in its shard's payments-due index,
    and GET /api/v1/orders?number= finds it however the customer typed it."""
    _app, web, auth = shop
    order_id = place_order(web, auth)
    order = _order(web, auth, order_id)
    assert order["payment"]["status"] == "pending"
    assert order["payment"]["provider"] == "manual"
    typed = order["number"].lower().replace("-", " ")
    found = web.get("/api/v1/orders", query_string={"number": typed}, headers=auth).get_json()
    assert [o["id"] for o in found["items"]] == [order_id]
    missing = web.get("/api/v1/orders?number=0000-0000-00", headers=auth).get_json()
    assert missing["items"] == []
    store = real_redis.client()
    rand = link_rand_of_order(order_id)
    assert store.zscore(keys.payments_due(keys.shard_of(rand)), order_id) is not None
    assert store.pttl(keys.order_number(keys.shard_of(rand), "acme", order["number"])) > 0


def test_an_order_number_taken_by_another_order_draws_the_next_one(
    shop: tuple[Flask, FlaskClient, dict[str, str]], real_redis: RedisServer
) -> None:
    """When the merchant already has the number a link's order would get, the spend is refused
    and placed again with the link's next number: numbers stay unique."""
    app, web, auth = shop
    link = web.post("/api/v1/links", json={"products": [{"id": "kit"}]}, headers=auth).get_json()
    with app.app_context():
        rand, _ = services().links.link_ids.parse(link["id"], "acme")
    shard = keys.shard_of(rand)
    store = real_redis.client()
    store.set(keys.order_number(shard, "acme", number_for(rand)), "ord_someone_else")
    page = web.get(link_path(link["url"])).get_data(as_text=True)
    placed = web.post(
        link_path(link["url"]), data={"csrf_token": csrf_of(page), "email": "a@b.de", **BERLIN}
    )
    assert placed.status_code == 303
    order_id = web.get(f"/api/v1/links/{link['id']}", headers=auth).get_json()["order_id"]
    assert _order(web, auth, order_id)["number"] == number_for(rand, 1)
    assert store.get(keys.order_number(shard, "acme", number_for(rand, 1))) == order_id


def test_concurrent_reports_of_one_payment_mark_it_paid_once(
    shop: tuple[Flask, FlaskClient, dict[str, str]],
) -> None:
    """Twenty threads reporting the same payment at once: one change, one order.paid."""
    app, web, auth = shop
    order_id = place_order(web, auth)
    total = Decimal(_order(web, auth, order_id)["total"])
    payments = _payments(app)
    changed: list[bool] = []
    gate = threading.Barrier(20)

    def report() -> None:
        gate.wait(timeout=10)
        t = payments.record_paid(order_id, amount=total, currency="EUR", reference="trx-1")
        changed.append(t.changed)

    threads = [threading.Thread(target=report) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(changed) == [False] * 19 + [True]
    assert _events(web, auth, order_id) == ["order.created", "order.paid"]


def test_a_mismatched_payment_changes_nothing(
    shop: tuple[Flask, FlaskClient, dict[str, str]],
) -> None:
    """A report of another amount is refused: the order stays pending and no event is written."""
    app, web, auth = shop
    order_id = place_order(web, auth)
    with pytest.raises(PaymentMismatch):
        _payments(app).record_paid(
            order_id, amount=Decimal("0.01"), currency="EUR", reference="trx"
        )
    assert _order(web, auth, order_id)["payment"]["status"] == "pending"
    assert _events(web, auth, order_id) == ["order.created"]


def test_mark_paid_refund_and_their_repeats_through_the_api(
    shop: tuple[Flask, FlaskClient, dict[str, str]],
) -> None:
    """mark_paid pays once (a repeat is 200 unchanged), a partial refund then the rest refund
    it, each with one event, and a refund of an unpaid or fully refunded order is refused."""
    _app, web, auth = shop
    order_id = place_order(web, auth)
    base = f"/api/v1/orders/{order_id}"
    assert problem_body(web.post(f"{base}/refund", headers=auth), 409)
    paid = web.post(f"{base}/mark_paid", json={"reference": "TRX-42"}, headers=auth)
    assert paid.status_code == 200
    assert (paid.get_json()["payment"]["status"], paid.get_json()["payment"]["reference"]) == (
        "paid",
        "TRX-42",
    )
    again = web.post(f"{base}/mark_paid", json={"reference": "TRX-43"}, headers=auth)
    assert again.status_code == 200
    assert again.get_json() == paid.get_json()
    too_much = web.post(f"{base}/refund", json={"amount": "1000.00"}, headers=auth)
    assert problem_body(too_much, 422)["errors"][0]["loc"] == ["body", "amount"]
    assert problem_body(web.post(f"{base}/refund", json={"amount": "1.001"}, headers=auth), 422)
    part = web.post(f"{base}/refund", json={"amount": "10.00"}, headers=auth).get_json()
    assert (part["payment"]["status"], part["payment"]["amount_refunded"]) == (
        "partially_refunded",
        "10.00",
    )
    rest = web.post(f"{base}/refund", headers=auth).get_json()
    assert rest["payment"]["status"] == "refunded"
    assert rest["payment"]["amount_refunded"] == rest["payment"]["amount_paid"] == rest["total"]
    assert problem_body(web.post(f"{base}/refund", headers=auth), 409)
    assert problem_body(web.post(f"{base}/cancel", headers=auth), 409)
    assert _events(web, auth, order_id) == [
        "order.created",
        "order.paid",
        "order.refunded",
        "order.refunded",
    ]


def test_an_idempotency_key_answers_the_first_refund_again(
    shop: tuple[Flask, FlaskClient, dict[str, str]],
) -> None:
    """The same Idempotency-Key and body refund once and answer the same order (replayed);
    the key with another body or on another action is 422."""
    _app, web, auth = shop
    order_id = place_order(web, auth)
    base = f"/api/v1/orders/{order_id}"
    web.post(f"{base}/mark_paid", headers=auth)
    key = {**auth, "Idempotency-Key": "refund-1"}
    first = web.post(f"{base}/refund", json={"amount": "5.00"}, headers=key)
    second = web.post(
        f"{base}/refund",
        data=b'{ "amount" : "5.00" }',
        headers={**key, "Content-Type": "application/json"},
    )
    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert first.get_json() == second.get_json()
    assert _order(web, auth, order_id)["payment"]["amount_refunded"] == "5.00"
    assert problem_body(web.post(f"{base}/refund", json={"amount": "6.00"}, headers=key), 422)
    assert problem_body(web.post(f"{base}/cancel", headers=key), 422)
    assert _events(web, auth, order_id).count("order.refunded") == 1


def test_mark_paid_is_for_manual_orders_only(
    shop: tuple[Flask, FlaskClient, dict[str, str]],
) -> None:
    """An order of provider none is not_required: mark_paid and cancel are 409, and another
    merchant's order is 404."""
    app, web, auth = shop
    web.patch("/api/v1/account", json={"payment": None}, headers=auth)
    order_id = place_order(web, auth)
    assert _order(web, auth, order_id)["payment"]["status"] == "not_required"
    assert problem_body(web.post(f"/api/v1/orders/{order_id}/mark_paid", headers=auth), 409)
    assert problem_body(web.post(f"/api/v1/orders/{order_id}/cancel", headers=auth), 409)
    other = {"Authorization": f"Bearer {add_merchant(app, 'other')}"}
    assert problem_body(web.post(f"/api/v1/orders/{order_id}/mark_paid", headers=other), 404)
    assert _events(web, auth, order_id) == ["order.created"]


def test_cancel_then_the_window_leaves_it_alone(
    shop: tuple[Flask, FlaskClient, dict[str, str]], real_redis: RedisServer
) -> None:
    """Canceling a pending order emits order.canceled once, takes it out of the payments-due
    index, and a second cancel is 409."""
    _app, web, auth = shop
    order_id = place_order(web, auth)
    canceled = web.post(f"/api/v1/orders/{order_id}/cancel", headers=auth)
    assert canceled.status_code == 200
    payment = canceled.get_json()["payment"]
    assert (payment["status"], payment["cancel_reason"]) == ("canceled", "merchant")
    assert problem_body(web.post(f"/api/v1/orders/{order_id}/cancel", headers=auth), 409)
    rand = link_rand_of_order(order_id)
    assert real_redis.client().zscore(keys.payments_due(keys.shard_of(rand)), order_id) is None
    assert _events(web, auth, order_id) == ["order.canceled", "order.created"]


def test_expiry_by_two_workers_at_once_cancels_once(
    real_redis: RedisServer,
) -> None:
    """Two passes over the same shards, racing, past the window: every unpaid order is canceled
    once (one order.canceled each); a paid one is left paid."""
    client = redis.Redis.from_url(real_redis.url)
    app = make_app(client, redis_url=real_redis.url, payment_window_seconds=1)
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    web = app.test_client()
    web.patch(
        "/api/v1/account",
        json={"payment": {"provider": "manual", "instructions": INSTRUCTIONS}},
        headers=auth,
    )
    orders = [place_order(web, auth) for _ in range(6)]
    web.post(f"/api/v1/orders/{orders[0]}/mark_paid", headers=auth)
    payments = _payments(app)
    due_ms = max(
        int(real_redis.client().zscore(keys.payments_due(s), o) or 0)
        for o in orders
        for s in [keys.shard_of(link_rand_of_order(o))]
    )
    later = due_ms + 1
    counts: list[int] = []
    gate = threading.Barrier(2)

    def worker() -> None:
        gate.wait(timeout=10)
        counts.append(expire(payments, range(keys.DEFAULT_SHARDS), later))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 5
    assert _order(web, auth, orders[0])["payment"]["status"] == "paid"
    for order_id in orders[1:]:
        payment = _order(web, auth, order_id)["payment"]
        assert (payment["status"], payment["cancel_reason"]) == ("canceled", "expired")
        assert _events(web, auth, order_id) == ["order.canceled", "order.created"]
    assert expire(payments, range(keys.DEFAULT_SHARDS), later) == 0


def test_failed_attempts_and_a_second_payment_on_redis(
    shop: tuple[Flask, FlaskClient, dict[str, str]],
) -> None:
    """Each failed attempt is one order.payment_failed (a repeat none) and the order stays
    pending; after it is paid, a success report of another payment is refused as a duplicate
    and writes nothing."""
    app, web, auth = shop
    order_id = place_order(web, auth)
    total = Decimal(_order(web, auth, order_id)["total"])
    payments = _payments(app)
    assert payments.record_failed(order_id, attempt="ch_1").changed
    assert not payments.record_failed(order_id, attempt="ch_1").changed
    assert payments.record_failed(order_id, attempt="ch_2").changed
    payment = _order(web, auth, order_id)["payment"]
    assert (payment["status"], payment["failed_attempts"]) == ("pending", ["ch_1", "ch_2"])
    assert payments.record_paid(order_id, amount=total, currency="EUR", reference="pi_1").changed
    with pytest.raises(DuplicatePayment):
        payments.record_paid(order_id, amount=total, currency="EUR", reference="pi_2")
    assert _order(web, auth, order_id)["payment"]["reference"] == "pi_1"
    assert _events(web, auth, order_id) == [
        "order.created",
        "order.paid",
        "order.payment_failed",
        "order.payment_failed",
    ]


def test_erasing_personal_data_never_undoes_a_payment_made_meanwhile(
    shop: tuple[Flask, FlaskClient, dict[str, str]], real_redis: RedisServer
) -> None:
    """An erasure whose read is overtaken by mark_paid (run between its read and its write)
    writes after it, computed again: the order ends paid and erased, with its order.paid."""
    app, web, auth = shop
    order_id = place_order(web, auth)
    key = keys.order(link_rand_of_order(order_id))
    calls: list[bytes] = []

    def erase_after_a_payment(raw: bytes) -> bytes:
        calls.append(raw)
        if len(calls) == 1:  # the payment lands between the erasure's read and its write
            assert web.post(f"/api/v1/orders/{order_id}/mark_paid", headers=auth).status_code == 200
        with app.app_context():
            return erased(decode_order(services().keyring, raw))

    assert rewrite(redis.Redis.from_url(real_redis.url), key, erase_after_a_payment)
    assert len(calls) == 2
    order = _order(web, auth, order_id)
    assert order["payment"]["status"] == "paid"
    assert order["customer"]["email"] == ""
    assert _events(web, auth, order_id) == ["order.created", "order.paid"]
