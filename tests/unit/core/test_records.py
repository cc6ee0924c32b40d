"""The domain records (checkout_links.core.records) against what earlier versions stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fakeredis
import msgspec
import pytest

from checkout_links.core.catalog.products import Catalog
from checkout_links.core.errors import ConfigError
from checkout_links.core.links import idempotency
from checkout_links.core.outbox import events
from checkout_links.core.primitives.clock import iso_ms, iso_seconds
from checkout_links.core.primitives.jsonutil import dumps
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
from checkout_links.core.schemas import ProductIn
from checkout_links.core.storage.connection import parse_hosts, parse_sentinel_url

#: JSON as the dict-based code before the records wrote it (one ``kind json`` a line):
#: Redis values, and API and webhook bodies, from one session of that version.
_STORED = dict(
    line.split(" ", 1)
    for line in (Path(__file__).parent / "data" / "stored_v1.txt").read_text("utf-8").splitlines()
)

_TYPES: dict[str, Any] = {
    "merchant": Merchant,
    "api_key": ApiKey,
    "revision": Product,
    "product": Product,
    "order": Order,
    "issued_link": IssuedLink,
    "order_view": OrderView,
    "event_view": EventView,
    "webhook_body": EventBody,
    "idempotency": idempotency.StoredResponse,
}


@pytest.mark.parametrize("kind", sorted(_TYPES))
def test_what_earlier_versions_wrote_loads_and_is_written_back_byte_for_byte(kind: str) -> None:
    """Every stored record and API body of the dict-based version decodes and re-encodes as is."""
    raw = _STORED[kind].encode()
    record = msgspec.json.decode(raw, type=_TYPES[kind])
    assert dumps(record) == raw


def test_the_api_shows_an_order_as_it_was_shown_before() -> None:
    """A stored order's public view is the order-view body the earlier version answered."""
    order = msgspec.json.decode(_STORED["order"], type=Order)
    assert dumps(order.public()) == _STORED["order_view"].encode()
    assert b'"merchant_id"' not in dumps(order.public())


def test_money_stays_a_decimal_string() -> None:
    """Prices, amounts and totals are written as the exact strings ("1249.00"), never numbers."""
    order = msgspec.json.decode(_STORED["order"], type=Order)
    assert str(order.lines[0].price) == "1249.00"
    assert b'"total":"2842.80"' in dumps(order)
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
