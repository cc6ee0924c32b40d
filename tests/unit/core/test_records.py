"""The domain records (checkout_links.core.records): the JSON they store and answer with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fakeredis
import msgspec
import pytest

from checkout_links.core.catalog.products import Catalog
from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import ConfigError
from checkout_links.core.links import idempotency
from checkout_links.core.links.choices import PromotionIn
from checkout_links.core.links.ids import link_rand_of_order
from checkout_links.core.orders.queries import decode_order
from checkout_links.core.orders.sealed import StoredOrder
from checkout_links.core.outbox import events
from checkout_links.core.primitives.clock import iso_ms, iso_seconds
from checkout_links.core.primitives.jsonutil import dumps
from checkout_links.core.promotions.codes import Promotions
from checkout_links.core.records import (
    ApiKey,
    EventBody,
    EventView,
    IssuedLink,
    Merchant,
    Order,
    OrderView,
    Product,
)
from checkout_links.core.records import Promotion as PromotionRecord
from checkout_links.core.schemas import ProductIn
from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.connection import parse_hosts, parse_sentinel_url
from checkout_links.testing import BERLIN, SECRET_A, add_merchant, csrf_of, link_path, make_app

#: JSON as the records write it (one ``kind json`` a line): Redis values, and API and
#: webhook bodies. A change here is a change of the stored format or of the contract.
_STORED = dict(
    line.split(" ", 1)
    for line in (Path(__file__).parent / "data" / "stored.txt").read_text("utf-8").splitlines()
)

_TYPES: dict[str, Any] = {
    "merchant": Merchant,
    "api_key": ApiKey,
    "revision": Product,
    "product": Product,
    "order": Order,
    "stored_order": StoredOrder,
    "issued_link": IssuedLink,
    "order_view": OrderView,
    "event_view": EventView,
    "webhook_body": EventBody,
    "idempotency": idempotency.StoredResponse,
    "promotion": PromotionRecord,
}


@pytest.mark.parametrize("kind", sorted(_TYPES))
def test_each_stored_record_and_body_is_written_back_byte_for_byte(kind: str) -> None:
    """Every stored record and API body decodes and re-encodes as is: names, order, values."""
    raw = _STORED[kind].encode()
    record = msgspec.json.decode(raw, type=_TYPES[kind])
    assert dumps(record) == raw


def test_an_order_stored_before_payments_reads_as_provider_none() -> None:
    """An order stored without number and payment reads with no number and a not_required
    payment of provider none, in its currency's minor units."""
    order = decode_order(KeyRing([SECRET_A]), _STORED["order_v0"])
    assert order.number is None
    assert order.payment is not None
    assert (order.payment.provider, order.payment.status) == ("none", "not_required")
    assert (str(order.payment.amount_paid), str(order.payment.amount_refunded)) == ("0.00", "0.00")


def test_the_api_and_the_webhook_show_the_stored_order_without_its_merchant() -> None:
    """A stored order's public view is the order-view body, the same as the webhook's data."""
    order = msgspec.json.decode(_STORED["order"], type=Order)
    assert dumps(order.public()) == _STORED["order_view"].encode()
    assert b'"merchant_id"' not in dumps(order.public())
    webhook = msgspec.json.decode(_STORED["webhook_body"], type=EventBody)
    assert dumps(webhook.data) == _STORED["order_view"].encode()


#: Fields whose value is a map of the merchant's own keys, not a record.
_MAPS = {"properties", "additional_data"}


def _keys_of(value: Any) -> Any:
    """The record keys of a JSON value, in order, nested records and lists included."""
    if isinstance(value, dict):
        return [(k, None if k in _MAPS else _keys_of(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_keys_of(v) for v in value[:1]]
    return None


def test_an_order_placed_through_the_page_is_stored_in_the_pinned_shape() -> None:
    """The order a customer places is stored with the fixture's keys, in its order."""
    redis = fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2)))
    app = make_app(redis)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {add_merchant(app, 'shape')}"}
    body = {"products": [{"id": "kit"}], "discount": {"amount": "5.00", "label": "Welcome"}}
    link = client.post("/api/v1/links", json=body, headers=auth).get_json()
    page = client.get(link_path(link["url"]))
    form = {"csrf_token": csrf_of(page.get_data(as_text=True)), "email": "ana@example.com"}
    assert client.post(link_path(link["url"]), data={**form, **BERLIN}).status_code == 303
    order_id = client.get("/api/v1/orders", headers=auth).get_json()["items"][0]["id"]
    raw = redis.get(keys.order(link_rand_of_order(order_id)))
    assert raw is not None
    stored = _STORED["stored_order"]
    assert _keys_of(msgspec.json.decode(raw)) == _keys_of(msgspec.json.decode(stored))


def test_a_promotion_code_is_stored_in_the_pinned_shape() -> None:
    """A code put through the store is stored as the fixture's terms (times aside), no count."""
    redis = fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2)))
    body = {
        "percent": "15",
        "label": "Spring",
        "starts_at": "2026-03-01T00:00:00Z",
        "expires_at": "2026-06-01T00:00:00Z",
        "max_redemptions": 50,
        "products": ["pro-licence", "kit", "kit"],
    }
    Promotions(redis).put("acme", "SPRING-15", PromotionIn.model_validate_json(json.dumps(body)))
    raw = redis.hget(keys.promotion("acme", "SPRING-15", "def"), "doc")
    assert raw is not None
    stored = msgspec.json.decode(raw)
    pinned = msgspec.json.decode(_STORED["promotion"])
    assert stored == {
        **pinned,
        "created_at": stored["created_at"],
        "updated_at": stored["updated_at"],
    }
    assert list(stored) == list(pinned)


def test_money_stays_a_decimal_string() -> None:
    """Prices, amounts and totals are written as the exact strings ("1249.00"), never numbers."""
    order = msgspec.json.decode(_STORED["order"], type=Order)
    assert str(order.lines[0].price) == "1249.00"
    assert b'"total":"2737.81"' in dumps(order)
    assert b'"amount":"2498.00"' in dumps(order)


def test_a_revision_keeps_the_number_the_content_hash_gave_before() -> None:
    """Putting the same content yields the revision number the earlier version derived."""
    stored = msgspec.json.decode(_STORED["revision"], type=Product)
    fields = msgspec.json.decode(dumps(stored))
    for internal in ("id", "rev"):
        fields.pop(internal)
    catalog = Catalog(fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2))), 1.0)
    product, created = catalog.put_product("acme", stored.id, ProductIn.model_validate(fields))
    assert created
    assert product.rev == stored.rev == 1910344057
    assert dumps(catalog.snapshots("acme", [("sub", product.rev)])[("sub", product.rev)]) == (
        _STORED["revision"].encode()
    )


def test_product_fields_are_the_input_fields_then_id_rev_updated_at() -> None:
    """The stored product is ProductIn's fields in order plus id, rev, updated_at (the rev hash)."""
    assert [*ProductIn.model_fields, "id", "rev", "updated_at"] == list(Product.__struct_fields__)


def test_an_event_hash_becomes_a_typed_record_and_its_view() -> None:
    """The delivery hash (all strings, '' for none) reads as ints and Nones, as the API shows."""
    raw = {
        b"id": b"evt_BwcHBwcHBwcHBwcHBwcHBw",
        b"type": b"order.created",
        b"order_id": b"ord_BwcHBwcHBwcHBwcHBwcHBw",
        b"merchant_id": b"acme",
        b"created_ms": b"1764584190123",
        b"state": b"retrying",
        b"attempts": b"2",
        b"next_ms": b"1764584199000",
        b"last_attempt_ms": b"1764584190999",
        b"last_status": b"",
        b"last_error": b"ConnectTimeout",
        b"redeliveries": b"1",
    }
    record = events.from_hash(raw)
    assert (record.attempts, record.last_status, record.redeliveries) == (2, None, 1)
    view = events.public_view(record)
    assert view.last_attempt_at == "2025-12-01T10:16:30.999Z"
    assert view.next_attempt_at == "2025-12-01T10:16:39.000Z"
    assert view.last_error == "ConnectTimeout"


def test_timestamps_are_utc_with_z_to_the_second_or_millisecond() -> None:
    """Seconds drop fractions; milliseconds are exact (no float rounding at .999)."""
    assert iso_seconds(1764584190.999) == "2025-12-01T10:16:30Z"
    assert iso_ms(1764584190999) == "2025-12-01T10:16:30.999Z"
    assert iso_ms(1764584190001) == "2025-12-01T10:16:30.001Z"


def test_a_host_without_a_port_gets_the_default_of_its_kind() -> None:
    """Sentinel hosts without a port mean 26379, cluster seeds 6379; IPv6 goes in brackets."""
    assert parse_sentinel_url("redis+sentinel://s1,s2:26380,[::1]/mymaster/2").sentinels == [
        ("s1", 26379),
        ("s2", 26380),
        ("::1", 26379),
    ]
    assert parse_hosts("n1,[fd00::1]:7000", 6379) == [("n1", 6379), ("fd00::1", 7000)]


def test_the_sentinel_url_is_taken_apart_once() -> None:
    """Service, db and password come out of the URL the ledger and the rate limiter both read."""
    target = parse_sentinel_url("redis+sentinel://:secret@s1:26379/mymaster/3")
    assert (target.service, target.db, target.password) == ("mymaster", 3, "secret")
    assert target.sentinels == [("s1", 26379)]


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://s1:port/mymaster",
        "redis+sentinel://s1:99999/mymaster",
        "redis+sentinel://[::1/mymaster",
        "redis+sentinel://s1/",
        "redis+sentinel://s1/mymaster/zero",
    ],
)
def test_a_malformed_sentinel_url_is_a_configuration_error(url: str) -> None:
    """A bad host list, port, service or db names CHECKOUT_REDIS_URL instead of a ValueError."""
    with pytest.raises(ConfigError, match="CHECKOUT_REDIS_URL"):
        parse_sentinel_url(url)
