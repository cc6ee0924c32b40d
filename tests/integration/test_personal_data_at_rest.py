"""A copy of Redis reveals no customer: after orders are placed (form and API-prefilled
customer, additional_data, a separate delivery address, answers to custom fields), no
Redis value and no line of the AOF holds their personal data, while the API and the
webhook body show it as before; erasing it leaves the order's lines and amounts (real
redis-server with AOF always)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from checkout_links.core.outbox import events
from checkout_links.testing import add_merchant, csrf_of, link_path, make_app
from checkout_links.testing.servers import RedisServer
from checkout_links.web.extensions import services

#: What the customers typed or the merchant sent; none of it may be readable at rest.
PREFILLED = {
    "email": "bartholomew.quixote@example.com",
    "first_name": "Bartholomew",
    "last_name": "Quixote-Wiśniewski",
    "phone": "+48 601 234 567",
    "company": "Quixote Sp. z o.o.",
    "country": "PL",
    "city": "Kraków",
    "postal_code": "30-001",
    "address": "ul. Floriańska 77",
    "tax_id": "PL5260250274",
}
TYPED = {
    "email": "ximena.zarathustra@example.com",
    "first_name": "Ximena",
    "last_name": "Zarathustra",
    "address": "Calle Ximénez 19",
    "city": "Zaragoza",
    "postal_code": "50001",
    "region": "Z",
    "country": "ES",
}
#: A delivery address other than the billing one (the kit is physical).
DELIVERY = {
    "delivery_same_as_billing": "no",
    "delivery_first_name": "Zebulon",
    "delivery_last_name": "Oyelaran",
    "delivery_country": "ES",
    "delivery_address": "Paseo Yzquierdo 42",
    "delivery_postal_code": "28001",
    "delivery_city": "Madrid",
    "delivery_region": "M",
}
ADDITIONAL = {"crm_contact": "hubspot-contact-99173"}
#: The link's questions and the customer's answers (the dropdown's label is shown, so kept).
QUESTIONS = [
    {"key": "holder", "label": "Licence holder", "type": "text"},
    {
        "key": "site",
        "label": "Site",
        "type": "dropdown",
        "options": [{"value": "site-7", "label": "Quarry Wharfdale"}],
    },
]
ANSWERS = {"cf_holder": "Quillon Vexmoor", "cf_site": "site-7"}
SECRETS = [
    "bartholomew",
    "Bartholomew",
    "Quixote",
    "601 234 567",
    "Floriańska",
    "PL5260250274",
    "ximena",
    "Ximena",
    "Zarathustra",
    "Ximénez",
    "hubspot-contact-99173",
    "Zebulon",
    "Oyelaran",
    "Yzquierdo",
    "Quillon",
    "Vexmoor",
    "Wharfdale",
]


def _forms(secret: str) -> list[bytes]:
    """The ways a value can be written: UTF-8, and JSON's \\u escapes of non-ASCII."""
    escaped = secret.encode("ascii", "backslashreplace").replace(b"\\x", b"\\u00")
    return [secret.encode(), escaped, secret.lower().encode()]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    with RedisServer(tmp_path / "redis", appendonly=True, appendfsync="always") as started:
        yield started


@pytest.fixture
def shop(server: RedisServer) -> tuple[Flask, FlaskClient, dict[str, str]]:
    app = make_app(None, redis_url=server.url, rate_limits_enabled=False)
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    return app, app.test_client(), auth


def _place(
    web: FlaskClient, auth: dict[str, str], prefilled: dict[str, str], typed: dict[str, str]
) -> str:
    body = {
        "products": [{"id": "kit"}],
        "customer": prefilled,
        "additional_data": ADDITIONAL,
        "external_ref": "quote-1",
        "custom_fields": QUESTIONS,
    }
    link = web.post("/api/v1/links", json=body, headers=auth).get_json()
    path = link_path(link["url"])
    form = {
        "csrf_token": csrf_of(web.get(path).get_data(as_text=True)),
        **prefilled,
        **ANSWERS,
        **typed,
    }
    placed = web.post(path, data=form)
    assert placed.status_code == 303, placed.get_data(as_text=True)[-3000:]
    status = web.get(f"/api/v1/links/{link['id']}", headers=auth).get_json()
    return str(status["order_id"])


def _every_value(client: redis.Redis) -> Iterator[tuple[bytes, bytes]]:
    """Each key with each piece of its value, whatever its type."""
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        parts: list[Any]
        if kind == b"string":
            parts = [client.get(key)]
        elif kind == b"hash":
            parts = [x for pair in client.hgetall(key).items() for x in pair]
        elif kind == b"list":
            parts = client.lrange(key, 0, -1)
        elif kind == b"set":
            parts = list(client.smembers(key))
        elif kind == b"zset":
            parts = client.zrange(key, 0, -1)
        elif kind == b"stream":
            parts = [x for _, fields in client.xrange(key) for pair in fields.items() for x in pair]
        else:
            raise AssertionError(f"unexpected type {kind!r} of {key!r}")
        for part in parts:
            yield key, part if isinstance(part, bytes) else str(part).encode()


def test_no_redis_value_and_no_aof_line_holds_a_customer(
    server: RedisServer, shop: tuple[Flask, FlaskClient, dict[str, str]]
) -> None:
    """Every key, every value and the AOF files are free of the customers' data, which the
    API and the webhook body still show in full."""
    app, web, auth = shop
    first = _place(web, auth, PREFILLED, {})
    second = _place(web, auth, {"email": TYPED["email"]}, {**TYPED, **DELIVERY})
    shown = web.get(f"/api/v1/orders/{first}", headers=auth).get_json()
    assert shown["customer"]["last_name"] == PREFILLED["last_name"]
    assert shown["customer"]["tax_id"] == PREFILLED["tax_id"]
    assert shown["additional_data"] == ADDITIONAL
    assert shown["custom_fields"] == {"holder": "Quillon Vexmoor", "site": "site-7"}
    assert shown["delivery_address"]["city"] == PREFILLED["city"], "same as billing"
    delivered = web.get(f"/api/v1/orders/{second}", headers=auth).get_json()["delivery_address"]
    assert (delivered["last_name"], delivered["address"]) == ("Oyelaran", "Paseo Yzquierdo 42")
    listed = web.get("/api/v1/orders", headers=auth).get_json()["items"]
    assert {o["customer"]["email"] for o in listed} == {PREFILLED["email"], TYPED["email"]}
    with app.app_context():
        svc = services()
        record = events.load(svc.redis, "evt_" + second.removeprefix("ord_"))
        assert record is not None
        body = events.body(svc.redis, svc.keyring, record)
    assert json.loads(body)["data"]["customer"]["address"] == TYPED["address"]
    assert json.loads(body)["data"]["delivery_address"]["first_name"] == "Zebulon"
    assert json.loads(body)["data"]["custom_fields"]["holder"] == "Quillon Vexmoor"

    client = redis.Redis.from_url(server.url)
    values = list(_every_value(client))
    assert len(values) > 20, "the scan saw the store"
    leaks = [
        (key, s) for key, value in values for s in SECRETS if any(f in value for f in _forms(s))
    ]
    assert leaks == []
    client.execute_command("BGREWRITEAOF")
    aof = b"".join(p.read_bytes() for p in server.directory.rglob("*.aof*") if p.is_file())
    assert len(aof) > 1000, "the AOF was read"
    assert [s for s in SECRETS if any(f in aof for f in _forms(s))] == []


def test_erasing_an_orders_personal_data_keeps_its_lines_and_amounts(
    shop: tuple[Flask, FlaskClient, dict[str, str]],
) -> None:
    """DELETE .../personal_data answers the order with an empty customer, no
    additional_data, an empty delivery address and no custom field answers, again on a
    second call; the order and
    its webhook body stay so, and another merchant's order is 404."""
    app, web, auth = shop
    order_id = _place(web, auth, PREFILLED, DELIVERY)
    before = web.get(f"/api/v1/orders/{order_id}", headers=auth).get_json()
    answer = web.delete(f"/api/v1/orders/{order_id}/personal_data", headers=auth)
    assert answer.status_code == 200
    after = answer.get_json()
    assert set(after["customer"].values()) == {""}
    assert after["additional_data"] == {}
    assert before["delivery_address"]["first_name"] == "Zebulon"
    assert set(after["delivery_address"].values()) == {""}
    assert before["custom_fields"]["holder"] == "Quillon Vexmoor"
    assert after["custom_fields"] == {}
    kept = ("id", "link_id", "created_at", "currency", "total", "lines", "external_ref")
    assert {k: after[k] for k in kept} == {k: before[k] for k in kept}
    assert web.get(f"/api/v1/orders/{order_id}", headers=auth).get_json() == after
    again = web.delete(f"/api/v1/orders/{order_id}/personal_data", headers=auth)
    assert (again.status_code, again.get_json()) == (200, after)
    with app.app_context():
        svc = services()
        record = events.load(svc.redis, "evt_" + order_id.removeprefix("ord_"))
        assert record is not None
        body = events.body(svc.redis, svc.keyring, record).decode()
    assert "Bartholomew" not in body
    assert "Zebulon" not in body
    assert "Quillon" not in body
    assert set(json.loads(body)["data"]["customer"].values()) == {""}
    other = {"Authorization": f"Bearer {add_merchant(app, 'other')}"}
    assert web.delete(f"/api/v1/orders/{order_id}/personal_data", headers=other).status_code == 404
