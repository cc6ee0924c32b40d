"""Promotion redemptions on a real redis-server: reserve, confirm, release, settle, races."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis

from checkout_links.core.errors import CodeRefused, ValidationFailed
from checkout_links.core.ledger.store import SpendRequest
from checkout_links.core.links.choices import PromotionIn
from checkout_links.core.promotions.codes import Promotions, Reservation
from checkout_links.core.storage import redis_keys as keys
from checkout_links.testing import make_app
from checkout_links.web.extensions import services

LATER = int(time.time()) + 3600


@pytest.fixture
def client(real_redis: Any) -> redis.Redis:
    """A bytes client on the real server, as the app uses it."""
    return redis.Redis.from_url(real_redis.url)


def promotions(client: redis.Redis, **terms: Any) -> Promotions:
    """A store with code CODE for merchant acme on ``terms`` (10% off by default)."""
    store = Promotions(client, reservation_ttl_ms=terms.pop("ttl_ms", 60_000))
    store.put(
        "acme", "CODE", PromotionIn.model_validate_json(json.dumps({"percent": "10", **terms}))
    )
    return store


def refusal(call: Any) -> str:
    """Why ``call`` refused the code (the customer reads one sentence for every reason)."""
    with pytest.raises(CodeRefused) as exc:
        call()
    assert exc.value.errors is not None
    assert exc.value.errors[0].loc == ("form", "promo_code")
    return exc.value.reason


def test_racing_threads_never_hold_more_than_the_limit(client: redis.Redis) -> None:
    """200 threads reserve a code limited to 50 for distinct links: 50 win, 150 hear used up."""
    store = promotions(client, max_redemptions=50)
    start = threading.Barrier(32)

    def attempt(_: int) -> Reservation | str:
        if _ < 32:
            start.wait()
        try:
            return store.reserve("acme", "CODE", keys.new_link_rand(16), LATER)
        except CodeRefused as exc:
            return exc.reason

    with ThreadPoolExecutor(32) as pool:
        results = list(pool.map(attempt, range(200)))
    won = [r for r in results if isinstance(r, Reservation)]
    assert len(won) == 50
    assert Counter(r for r in results if isinstance(r, str)) == {"used_up": 150}
    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(store.confirm, won))
    assert store.get("acme", "CODE").redemptions == 50
    assert (
        refusal(lambda: store.reserve("acme", "CODE", keys.new_link_rand(16), LATER)) == "used_up"
    )


def test_confirm_counts_a_reservation_once(client: redis.Redis) -> None:
    """A repeated confirm (a retry, or a settle after the request's own) is not a second use."""
    store = promotions(client)
    held = store.reserve("acme", "CODE", keys.new_link_rand(16), LATER)
    assert (store.confirm(held), store.confirm(held)) == (True, False)
    assert store.get("acme", "CODE").redemptions == 1


def test_a_released_reservation_frees_its_redemption(client: redis.Redis) -> None:
    """With both redemptions held the third customer is refused until one is released."""
    store = promotions(client, max_redemptions=2)
    first = store.reserve("acme", "CODE", keys.new_link_rand(16), LATER)
    store.reserve("acme", "CODE", keys.new_link_rand(16), LATER)
    assert (
        refusal(lambda: store.reserve("acme", "CODE", keys.new_link_rand(16), LATER)) == "used_up"
    )
    store.release(first)
    store.reserve("acme", "CODE", keys.new_link_rand(16), LATER)
    assert store.get("acme", "CODE").redemptions == 0


def test_an_abandoned_reservation_is_fenced_and_freed_after_its_ttl(client: redis.Redis) -> None:
    """A reservation whose request died is settled once its TTL passed: fence set, slot free."""
    store = promotions(client, max_redemptions=1, ttl_ms=300)
    link = keys.new_link_rand(16)
    crashed = store.reserve("acme", "CODE", link, LATER)
    assert (
        refusal(lambda: store.reserve("acme", "CODE", keys.new_link_rand(16), LATER)) == "used_up"
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            store.reserve("acme", "CODE", keys.new_link_rand(16), LATER)
            break
        except ValidationFailed:
            assert time.monotonic() < deadline, "the abandoned reservation was never settled"
            time.sleep(0.05)
    assert client.exists(keys.promotion_fence(link, crashed.id)) == 1
    assert client.ttl(keys.promotion_fence(link, crashed.id)) > 3600
    assert store.get("acme", "CODE").redemptions == 0


def test_settling_a_reservation_whose_link_was_spent_without_it_releases_it(
    client: redis.Redis,
) -> None:
    """A link with an order placed without this reservation can never use it: released."""
    app = make_app(client)
    with app.app_context():
        svc = services()
    store = promotions(client, max_redemptions=1)
    link = keys.new_link_rand(16)
    held = store.reserve("acme", "CODE", link, LATER)
    spent = svc.ledger.spend(
        SpendRequest(
            link_rand=link,
            link_expires_at=LATER,
            merchant_id="acme",
            order_id="ord_x",
            order_json=b"{}",
            created_ms=int(time.time() * 1000),
            request_id="req",
            event_id="evt_x",
        )
    )
    assert spent.outcome == "placed"
    assert store.settle(held) is False
    assert client.exists(keys.promotion_fence(link, held.id)) == 0
    assert store.get("acme", "CODE").redemptions == 0
    store.reserve("acme", "CODE", keys.new_link_rand(16), LATER)


def test_the_window_and_the_switch_are_judged_when_reserving(client: redis.Redis) -> None:
    """Not yet started, expired and deactivated codes are refused with their own reason."""
    store = promotions(client, starts_at="2999-01-01T00:00:00Z")
    assert (
        refusal(lambda: store.reserve("acme", "CODE", keys.new_link_rand(16), LATER))
        == "not_started"
    )
    store = promotions(client, expires_at="2001-01-01T00:00:00Z")
    assert (
        refusal(lambda: store.reserve("acme", "CODE", keys.new_link_rand(16), LATER)) == "expired"
    )
    store = promotions(client)
    store.deactivate("acme", "CODE")
    assert (
        refusal(lambda: store.reserve("acme", "CODE", keys.new_link_rand(16), LATER)) == "inactive"
    )


def test_find_takes_any_case_and_explains_refusals(client: redis.Redis) -> None:
    """The code typed in lower case is found; unknown, used-up and wrong-currency codes are not."""
    store = promotions(client, max_redemptions=1)
    assert store.find("acme", " code ", "EUR").code == "CODE"
    assert refusal(lambda: store.find("acme", "NOPE", "EUR")) == "unknown"
    assert refusal(lambda: store.find("other", "CODE", "EUR")) == "unknown"
    store.confirm(store.reserve("acme", "CODE", keys.new_link_rand(16), LATER))
    assert refusal(lambda: store.find("acme", "code", "EUR")) == "used_up"
    store.put("acme", "FIVE", PromotionIn.model_validate({"amount": "5", "currency": "USD"}))
    assert refusal(lambda: store.find("acme", "five", "EUR")) == "not_applicable"


def _spend(client: redis.Redis, link: bytes, reservation: Reservation | None) -> str:
    app = make_app(client)
    with app.app_context():
        ledger = services().ledger
    result = ledger.spend(
        SpendRequest(
            link_rand=link,
            link_expires_at=LATER,
            merchant_id="acme",
            order_id=f"ord_{link.hex()}",
            order_json=b"{}",
            created_ms=int(time.time() * 1000),
            request_id="req",
            event_id=f"evt_{link.hex()}",
            reservation=reservation,
        )
    )
    return result.outcome


def test_a_spend_whose_reservation_was_settled_is_refused_and_leaves_the_link_open(
    client: redis.Redis,
) -> None:
    """A slow request's spend after its reservation was fenced is void; the link stays usable."""
    store = promotions(client, max_redemptions=1)
    link = keys.new_link_rand(16)
    held = store.reserve("acme", "CODE", link, LATER)
    assert store.settle(held) is False
    assert _spend(client, link, held) == "void"
    assert client.exists(keys.link_mark(link)) == 0
    assert _spend(client, link, None) == "placed"
    assert store.get("acme", "CODE").redemptions == 0


def test_an_order_placed_before_a_crash_is_counted_by_the_next_settle(
    client: redis.Redis,
) -> None:
    """Spent with the reservation, never confirmed: it holds the slot, then settle counts it."""
    store = promotions(client, max_redemptions=1, ttl_ms=200)
    link = keys.new_link_rand(16)
    held = store.reserve("acme", "CODE", link, LATER)
    assert _spend(client, link, held) == "placed"
    assert client.get(keys.promotion_spent(link)) == held.id.encode()
    deadline = time.monotonic() + 10
    while store.get("acme", "CODE").redemptions != 1:
        assert time.monotonic() < deadline, "the placed order was never counted"
        time.sleep(0.05)
    assert (
        refusal(lambda: store.reserve("acme", "CODE", keys.new_link_rand(16), LATER)) == "used_up"
    )
    assert store.settle(held) is True  # settling again changes nothing
    assert store.get("acme", "CODE").redemptions == 1
