"""Issuing links through the merchant API: shape, limits, errors, status, idempotency."""

from __future__ import annotations

import json
import random
import string
import time
from datetime import UTC, datetime
from typing import Any

import fakeredis
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from checkout_links.core.config import MAX_REQUEST_LINE
from checkout_links.core.storage.redis_keys import new_link_rand
from checkout_links.testing import (
    BERLIN,
    add_merchant,
    csrf_of,
    link_path,
    make_app,
    problem_body,
)
from checkout_links.web.extensions import services

LINKS = "/api/v1/links"


def _assert_422_at(resp: TestResponse, loc: list[Any]) -> dict[str, Any]:
    """``resp`` is a 422 problem whose ``errors`` contain one located at (or under) ``loc``."""
    body = problem_body(resp, 422)
    locs = [err["loc"] for err in body["errors"]]
    assert all(err["msg"] for err in body["errors"])
    assert any(found[: len(loc)] == loc for found in locs), locs
    return body


def _issue(client: FlaskClient, auth: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    resp = client.post(LINKS, json=body, headers=auth)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    issued: dict[str, Any] = resp.get_json()
    return issued


def _auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


def _random_text(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length))


# ---------------------------------------------------------------------------- issuance


def test_issue_returns_the_merged_cart(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    """A 201 carries id, url, expiry, currency, exact total and lines merged with the catalog."""
    before = int(time.time())
    link = _issue(
        client,
        auth,
        {
            "currency": "EUR",
            "products": [
                {
                    "id": "pro-licence",
                    "name": "Pro licence, 25 seats, 1 year",
                    "price": "1249.00",
                    "description": "Configured in the seat calculator",
                    "vendor_code": "crm-line-8812",
                    "name_for_invoice": "Pro licence (25 seats)",
                    "properties": {"seats": "25", "term": "12 months"},
                    "subscription": {"interval": "year", "interval_count": 1},
                },
                {"id": "kit", "quantity": 2},
                {"id": "support", "quantity": 3, "properties": {"slot": "Mon"}},
            ],
            "customer": {"email": "ana@example.com", "first_name": "Ana", "country": "de"},
            "additional_data": {"crm_deal": "8812"},
            "external_ref": "quote-2026-118",
            "expires_in": 86400,
            "return_url": "https://shop.example/thanks",
            "locale": "de",
        },
    )
    after = int(time.time())
    keys = {"id", "url", "expires_at", "currency", "total", "lines", "locale"}
    assert set(link) == keys | {"subtotal", "discounts"}
    assert link["locale"] == "de"
    assert link["id"].startswith("lnk_")
    assert link["url"].startswith("http://localhost/c/")
    expires = datetime.strptime(link["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before + 86400 <= expires.timestamp() <= after + 86400
    assert link["currency"] == "EUR"
    # 1249.00 + 2 x 49.90 + 3 x 95.00
    assert link["total"] == "1633.80"

    pro, kit, support = link["lines"]
    # Request properties win over the catalog's; the rest comes from the catalog.
    assert pro["product_id"] == "pro-licence"
    assert pro["name"] == "Pro licence, 25 seats, 1 year"
    assert pro["description"] == "Configured in the seat calculator"
    assert pro["sku"] == "PRO"
    assert pro["vendor_code"] == "crm-line-8812"
    assert pro["name_for_invoice"] == "Pro licence (25 seats)"
    assert pro["properties"] == {"seats": "25", "term": "12 months"}
    assert pro["subscription"] == {"interval": "year", "interval_count": 1}
    assert (pro["price"], pro["quantity"], pro["amount"]) == ("1249.00", 1, "1249.00")
    assert kit["name"] == "Setup kit"
    assert kit["delivery"] == "physical"
    assert (kit["price"], kit["quantity"], kit["amount"]) == ("49.90", 2, "99.80")
    assert support["name"] == "Support hours"
    assert (support["price"], support["amount"]) == ("95.00", "285.00")
    assert support["properties"] == {"slot": "Mon"}

    # The id alone names the merchant and the expiry.
    with app.app_context():
        _rand, expires_at = services().links.link_ids.parse(link["id"], "acme")
    assert expires_at == int(expires.timestamp())


def test_catalog_fields_reach_the_line(client: FlaskClient, auth: dict[str, str]) -> None:
    """Catalog-only properties (sku, tax code, image, delivery, subscription) appear on the line."""
    product = {
        "name": "Box",
        "description": "From the catalog",
        "sku": "BOX-1",
        "tax_code": "TX7",
        "image_url": "https://cdn.example/box.png",
        "delivery": "physical",
        "subscription": {"interval": "month", "interval_count": 2},
        "price": "5.00",
        "currency": "EUR",
    }
    assert client.put("/api/v1/products/box", json=product, headers=auth).status_code == 201
    (line,) = _issue(client, auth, {"products": [{"id": "box"}]})["lines"]
    assert line["sku"] == "BOX-1"
    assert line["description"] == "From the catalog"
    assert line["tax_code"] == "TX7"
    assert line["image_url"] == "https://cdn.example/box.png"
    assert line["delivery"] == "physical"
    assert line["subscription"] == {"interval": "month", "interval_count": 2}
    (over,) = _issue(client, auth, {"products": [{"id": "box", "sku": "BOX-RED"}]})["lines"]
    assert over["sku"] == "BOX-RED"


def test_several_lines_share_one_product(client: FlaskClient, auth: dict[str, str]) -> None:
    """Three lines of the same original product stay three lines with their own properties."""
    link = _issue(
        client,
        auth,
        {
            "products": [
                {"id": "pro-licence", "name": "5 seats", "price": "100.00"},
                {"id": "pro-licence", "name": "10 seats", "price": "190.00", "quantity": 2},
                {"id": "pro-licence", "price": "10.00"},
            ]
        },
    )
    assert [line["name"] for line in link["lines"]] == ["5 seats", "10 seats", "Pro licence"]
    assert [line["amount"] for line in link["lines"]] == ["100.00", "380.00", "10.00"]
    assert link["total"] == "490.00"


def test_currency_defaults_to_the_merchants(app: Flask, client: FlaskClient) -> None:
    """Without a currency the merchant's default applies, with its minor units (JPY: none)."""
    with app.app_context():
        key = services().merchants.create("tokyo-shop", currency="JPY")["api_key"]
    auth = _auth(key)
    client.put(
        "/api/v1/products/tea",
        json={"name": "Tea", "price": "1500", "currency": "JPY"},
        headers=auth,
    )
    link = _issue(client, auth, {"products": [{"id": "tea", "quantity": 3}]})
    assert link["currency"] == "JPY"
    assert link["total"] == "4500"
    assert link["lines"][0]["price"] == "1500"


def test_explicit_currency_overrides_the_default(client: FlaskClient, auth: dict[str, str]) -> None:
    """A link may be in another currency than the merchant's, with prices given in it."""
    link = _issue(client, auth, {"currency": "KWD", "products": [{"id": "kit", "price": "1.250"}]})
    assert (link["currency"], link["total"]) == ("KWD", "1.250")


def test_default_price_in_another_currency_is_refused(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """A product's EUR default price is not silently used for a USD link."""
    resp = client.post(LINKS, json={"currency": "USD", "products": [{"id": "kit"}]}, headers=auth)
    _assert_422_at(resp, ["body", "products", 0, "price"])


def test_totals_are_exact(client: FlaskClient, auth: dict[str, str]) -> None:
    """3 x "0.10" totals "0.30" and 1,000,000 x "999.99" totals "999990000.00"."""
    dimes = _issue(client, auth, {"products": [{"id": "kit", "price": "0.10"}] * 3})
    assert dimes["total"] == "0.30"
    big = _issue(
        client,
        auth,
        {"products": [{"id": "pro-licence", "price": "999.99", "quantity": 1_000_000}]},
    )
    assert big["total"] == "999990000.00"
    assert big["lines"][0]["amount"] == "999990000.00"


def test_boundary_values_are_accepted(client: FlaskClient, auth: dict[str, str]) -> None:
    """The limits themselves pass: 100 lines, quantity 1,000,000, 20 keys, expiry 1 s to 30 days."""
    _issue(client, auth, {"products": [{"id": "kit"}] * 100})
    _issue(client, auth, {"products": [{"id": "kit", "quantity": 1_000_000}]})
    _issue(
        client,
        auth,
        {"products": [{"id": "kit"}], "additional_data": {f"k{i}": "v" for i in range(20)}},
    )
    for expires_in in (1, 2_592_000):
        _issue(client, auth, {"products": [{"id": "kit"}], "expires_in": expires_in})
    for url in (
        "http://localhost:5000/ok",
        "http://127.0.0.1/ok",
        "http://[::1]/ok",
        "https://shop.example:8443/thanks?a=1&b=%20x#top",
        "https://xn--bcher-kva.example/danke",
    ):
        _issue(client, auth, {"products": [{"id": "kit"}], "return_url": url})
    for locale in ("de", "de-AT", "zh-Hant-TW", "pt_BR"):
        _issue(client, auth, {"products": [{"id": "kit"}], "locale": locale})
    _issue(client, auth, {"products": [{"id": "pro-licence", "price": "10.00"}]})
    _issue(client, auth, {"products": [{"id": "pro-licence", "price": "100000.00"}]})


# ---------------------------------------------------------------------------- validation

KIT = [{"id": "kit"}]

INVALID: list[tuple[str, dict[str, Any], list[Any]]] = [
    ("no lines", {"products": []}, ["body", "products"]),
    ("101 lines", {"products": [{"id": "kit"}] * 101}, ["body", "products"]),
    ("products missing", {}, ["body", "products"]),
    ("products not a list", {"products": {"id": "kit"}}, ["body", "products"]),
    ("line without id", {"products": [{"quantity": 2}]}, ["body", "products", 0, "id"]),
    (
        "quantity 0",
        {"products": [{"id": "kit", "quantity": 0}]},
        ["body", "products", 0, "quantity"],
    ),
    (
        "quantity 1,000,001",
        {"products": [{"id": "kit", "quantity": 1_000_001}]},
        ["body", "products", 0, "quantity"],
    ),
    (
        "price required",
        {"products": [{"id": "kit"}, {"id": "pro-licence"}]},
        ["body", "products", 1, "price"],
    ),
    (
        "not overridable: price",
        {"products": [{"id": "support", "price": "1.00"}]},
        ["body", "products", 0, "price"],
    ),
    (
        "not overridable: name",
        {"products": [{"id": "support", "name": "Cheap support"}]},
        ["body", "products", 0, "name"],
    ),
    (
        "price below price_min",
        {"products": [{"id": "pro-licence", "price": "9.99"}]},
        ["body", "products", 0, "price"],
    ),
    (
        "price above price_max",
        {"products": [{"id": "pro-licence", "price": "100000.01"}]},
        ["body", "products", 0, "price"],
    ),
    (
        "EUR price with 3 digits",
        {"products": [{"id": "kit", "price": "1.001"}]},
        ["body", "products", 0, "price"],
    ),
    (
        "JPY price with a fraction",
        {"currency": "JPY", "products": [{"id": "kit", "price": "1.5"}]},
        ["body", "products", 0, "price"],
    ),
    (
        "price as a JSON number",
        {"products": [{"id": "kit", "price": 49.9}]},
        ["body", "products", 0, "price"],
    ),
    (
        "price with an exponent",
        {"products": [{"id": "kit", "price": "1e2"}]},
        ["body", "products", 0, "price"],
    ),
    (
        "negative price",
        {"products": [{"id": "kit", "price": "-1.00"}]},
        ["body", "products", 0, "price"],
    ),
    ("unknown currency", {"currency": "XYZ", "products": KIT}, ["body", "currency"]),
    ("lower-case currency", {"currency": "eur", "products": KIT}, ["body", "currency"]),
    (
        "invalid email",
        {"products": KIT, "customer": {"email": "ana.example.com"}},
        ["body", "customer", "email"],
    ),
    (
        "country XX",
        {"products": KIT, "customer": {"country": "XX"}},
        ["body", "customer", "country"],
    ),
    (
        "country DEU",
        {"products": KIT, "customer": {"country": "DEU"}},
        ["body", "customer", "country"],
    ),
    (
        "unknown customer field",
        {"products": KIT, "customer": {"birthday": "1990-01-01"}},
        ["body", "customer", "birthday"],
    ),
    (
        "21 additional_data keys",
        {"products": KIT, "additional_data": {f"k{i}": "v" for i in range(21)}},
        ["body", "additional_data"],
    ),
    (
        "additional_data value not a string",
        {"products": KIT, "additional_data": {"n": 1}},
        ["body", "additional_data", "n"],
    ),
    ("expires_in 0", {"products": KIT, "expires_in": 0}, ["body", "expires_in"]),
    ("expires_in 2,592,001", {"products": KIT, "expires_in": 2_592_001}, ["body", "expires_in"]),
    (
        "return_url http non-loopback",
        {"products": KIT, "return_url": "http://shop.example/thanks"},
        ["body", "return_url"],
    ),
    ("return_url relative", {"products": KIT, "return_url": "/thanks"}, ["body", "return_url"]),
    (
        "return_url javascript",
        {"products": KIT, "return_url": "javascript:alert(1)"},
        ["body", "return_url"],
    ),
    (
        "return_url adding CSP directives",
        {"products": KIT, "return_url": "https://a.example; frame-ancestors *;/x"},
        ["body", "return_url"],
    ),
    (
        "return_url with user info",
        {"products": KIT, "return_url": "https://a;b@shop.example/"},
        ["body", "return_url"],
    ),
    (
        "return_url with a line break",
        {"products": KIT, "return_url": "https://shop.example/a\r\nSet-Cookie: x=1"},
        ["body", "return_url"],
    ),
    (
        "return_url with a bad port",
        {"products": KIT, "return_url": "https://shop.example:99999/"},
        ["body", "return_url"],
    ),
    ("locale garbage", {"products": KIT, "locale": "garbage!!"}, ["body", "locale"]),
    ("locale unknown", {"products": KIT, "locale": "zz"}, ["body", "locale"]),
    ("locale with a modifier", {"products": KIT, "locale": "de@<b>"}, ["body", "locale"]),
    ("unknown product", {"products": [{"id": "nope"}]}, ["body", "products", 0, "id"]),
    ("malformed product id", {"products": [{"id": "no pe"}]}, ["body", "products", 0, "id"]),
    ("unknown top-level field", {"products": KIT, "colour": "red"}, ["body", "colour"]),
    (
        "unknown line field",
        {"products": [{"id": "kit", "colour": "red"}]},
        ["body", "products", 0, "colour"],
    ),
    ("empty name", {"products": [{"id": "kit", "name": ""}]}, ["body", "products", 0, "name"]),
    (
        "name of 201 characters",
        {"products": [{"id": "kit", "name": "n" * 201}]},
        ["body", "products", 0, "name"],
    ),
    (
        "description of 2001 characters",
        {"products": [{"id": "kit", "description": "d" * 2001}]},
        ["body", "products", 0, "description"],
    ),
    (
        "sku of 65 characters",
        {"products": [{"id": "kit", "sku": "s" * 65}]},
        ["body", "products", 0, "sku"],
    ),
    (
        "property value of 501 characters",
        {"products": [{"id": "kit", "properties": {"k": "v" * 501}}]},
        ["body", "products", 0, "properties", "k"],
    ),
    (
        "additional_data key of 65 characters",
        {"products": KIT, "additional_data": {"k" * 65: "v"}},
        ["body", "additional_data"],
    ),
    (
        "additional_data value of 501 characters",
        {"products": KIT, "additional_data": {"k": "v" * 501}},
        ["body", "additional_data", "k"],
    ),
    (
        "phone with letters",
        {"products": KIT, "customer": {"phone": "call me maybe"}},
        ["body", "customer", "phone"],
    ),
    (
        "first_name of 101 characters",
        {"products": KIT, "customer": {"first_name": "f" * 101}},
        ["body", "customer", "first_name"],
    ),
    (
        "51 properties",
        {"products": [{"id": "kit", "properties": {f"p{i}": "v" for i in range(51)}}]},
        ["body", "products", 0, "properties"],
    ),
    (
        "bad line subscription",
        {"products": [{"id": "kit", "subscription": {"interval": "hour"}}]},
        ["body", "products", 0, "subscription", "interval"],
    ),
    (
        "external_ref too long",
        {"products": KIT, "external_ref": "x" * 129},
        ["body", "external_ref"],
    ),
]


@pytest.mark.parametrize(
    ("body", "loc"), [case[1:] for case in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_link_requests_are_422(
    client: FlaskClient, auth: dict[str, str], body: dict[str, Any], loc: list[Any]
) -> None:
    """Every limit of POST /links has a failing case: 422 problem+json located at the field."""
    _assert_422_at(client.post(LINKS, json=body, headers=auth), loc)


def test_inactive_product_is_422(client: FlaskClient, auth: dict[str, str]) -> None:
    """A product deactivated with DELETE cannot be put in a new link."""
    assert client.delete("/api/v1/products/kit", headers=auth).status_code == 200
    resp = client.post(LINKS, json={"products": [{"id": "support"}, {"id": "kit"}]}, headers=auth)
    _assert_422_at(resp, ["body", "products", 1, "id"])


def test_all_line_errors_are_reported_together(client: FlaskClient, auth: dict[str, str]) -> None:
    """A request with several bad lines lists an error for each of them, not just the first."""
    resp = client.post(
        LINKS,
        json={
            "products": [
                {"id": "nope"},
                {"id": "pro-licence"},
                {"id": "support", "price": "1.00"},
            ]
        },
        headers=auth,
    )
    body = _assert_422_at(resp, ["body", "products", 0, "id"])
    locs = [err["loc"] for err in body["errors"]]
    assert ["body", "products", 1, "price"] in locs
    assert ["body", "products", 2, "price"] in locs


def test_validation_errors_do_not_echo_personal_data(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """A rejected customer value (an email) is not repeated in the problem body."""
    resp = client.post(
        LINKS,
        json={"products": KIT, "customer": {"email": "ana.private.ruiz", "country": "XX"}},
        headers=auth,
    )
    problem_body(resp, 422)
    assert "ana.private.ruiz" not in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ('{"products": [{"id": "kit"}]}', "text/plain"),
        ('{"products": [{"id": "kit"}]}', None),
        ("products=kit", "application/x-www-form-urlencoded"),
        ('{"products": [{"id": "kit"}]}', "application/xml"),
    ],
)
def test_wrong_content_type_is_415(
    client: FlaskClient, auth: dict[str, str], data: str, content_type: str | None
) -> None:
    """A body that is not declared application/json is 415 problem+json."""
    headers = {**auth, **({"Content-Type": content_type} if content_type else {})}
    problem_body(client.post(LINKS, data=data, headers=headers), 415)


@pytest.mark.parametrize(
    "data",
    [b"{", b"", b"not json", b'{"products": [}', b"\xff\xfe{}", b'{"products": "\\ud800"}'],
)
def test_malformed_json_is_400(client: FlaskClient, auth: dict[str, str], data: bytes) -> None:
    """A body that is not valid JSON (truncated, empty, bad UTF-8, lone surrogate) is 400."""
    resp = client.post(LINKS, data=data, headers={**auth, "Content-Type": "application/json"})
    problem_body(resp, 400)


@pytest.mark.parametrize("data", [b"[]", b"null", b'"products"', b"42"])
def test_json_that_is_not_an_object_is_422(
    client: FlaskClient, auth: dict[str, str], data: bytes
) -> None:
    """Valid JSON that is not an object is a 422 located at the body, never a 500."""
    resp = client.post(LINKS, data=data, headers={**auth, "Content-Type": "application/json"})
    _assert_422_at(resp, ["body"])


def test_body_over_the_limit_is_413(fake_redis: fakeredis.FakeRedis) -> None:
    """With max_body_bytes=2048 a larger body is 413 problem+json and a smaller one still works."""
    app = make_app(fake_redis, max_body_bytes=2048)
    auth = _auth(add_merchant(app))
    client = app.test_client()
    big = {"products": KIT, "external_ref": "x", "additional_data": {"pad": "y" * 3000}}
    problem_body(client.post(LINKS, json=big, headers=auth), 413)
    assert client.post(LINKS, json={"products": KIT}, headers=auth).status_code == 201


def test_link_too_long_for_a_small_limit(fake_redis: fakeredis.FakeRedis) -> None:
    """With max_link_path=600 a large cart is 422 naming the limit; a small one is 201 within it."""
    app = make_app(fake_redis, max_link_path=600)
    auth = _auth(add_merchant(app))
    client = app.test_client()
    rng = random.Random(600)
    lines = [
        {"id": "pro-licence", "name": _random_text(rng, 60), "price": "10.00"} for _ in range(12)
    ]
    body = problem_body(client.post(LINKS, json={"products": lines}, headers=auth), 422)
    [error] = body["errors"]
    assert error["loc"] == ["body", "products"]
    assert "at most 600" in error["msg"]
    link = _issue(client, auth, {"products": [{"id": "kit", "quantity": 2}]})
    assert len(link_path(link["url"])) <= 600


def test_default_limit_refuses_an_oversized_100_line_cart(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    """100 lines of long random texts cannot fit in a link: 422, not an over-long URL."""
    rng = random.Random(100)
    lines = [
        {
            "id": "pro-licence",
            "name": _random_text(rng, 200),
            "description": _random_text(rng, 500),
            "price": "10.00",
        }
        for _ in range(100)
    ]
    body = problem_body(client.post(LINKS, json={"products": lines}, headers=auth), 422)
    assert str(app.config["CHECKOUT_SETTINGS"].max_link_path) in body["errors"][0]["msg"]


def test_default_limit_accepts_a_realistic_100_line_cart(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    """100 lines with short names is issued, and its URL fits the server's request line."""
    rng = random.Random(7)
    lines = [
        {
            "id": "pro-licence",
            "name": f"Seat pack {i}",
            "price": f"{rng.randint(10, 9999)}.{rng.randint(0, 99):02d}",
            "quantity": rng.randint(1, 50),
            "properties": {"seats": str(rng.randint(1, 500))},
        }
        for i in range(100)
    ]
    link = _issue(client, auth, {"products": lines, "customer": {"email": "ana@example.com"}})
    path = link_path(link["url"])
    assert len(path) <= app.config["CHECKOUT_SETTINGS"].max_link_path
    assert len(f"GET {path} HTTP/1.1") <= MAX_REQUEST_LINE
    assert len(link["lines"]) == 100


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(["kit", "pro-licence", "EUR", "JPY", "1.00", "de", "DE", "month"])
)
_KEYS = st.sampled_from(["id", "name", "price", "quantity", "interval", "email", "country"])
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(_KEYS | st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=20,
)
_LINE_FIELDS = ["name", "price", "quantity", "properties", "subscription", "sku"]
_TOP_FIELDS = ["currency", "customer", "additional_data", "expires_in", "return_url", "locale"]
_LINK_BODIES = st.fixed_dictionaries(
    {
        "products": st.lists(
            st.fixed_dictionaries(
                {"id": st.sampled_from(["kit", "pro-licence", "support", "nope"])},
                optional=dict.fromkeys(_LINE_FIELDS, _JSON),
            ),
            min_size=1,
            max_size=3,
        )
    },
    optional=dict.fromkeys(_TOP_FIELDS, _JSON),
)


@pytest.fixture(scope="module")
def fuzz_client() -> tuple[FlaskClient, dict[str, str]]:
    """One app for many generated requests (rate limits off: they are not under test here)."""
    server = fakeredis.FakeServer(version=(7, 2))
    app = make_app(fakeredis.FakeRedis(server=server), rate_limits_enabled=False)
    return app.test_client(), _auth(add_merchant(app))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_LINK_BODIES | _JSON)
def test_no_link_request_body_causes_a_500(
    fuzz_client: tuple[FlaskClient, dict[str, str]], body: Any
) -> None:
    """Whatever JSON is posted to /links, the answer is 201 or a 400/422 problem, never a 500."""
    client, auth = fuzz_client
    resp = client.post(
        LINKS, data=json.dumps(body), headers={**auth, "Content-Type": "application/json"}
    )
    assert resp.status_code in (201, 400, 422), resp.get_data(as_text=True)
    if resp.status_code != 201:
        problem_body(resp, resp.status_code)


# ---------------------------------------------------------------------------- status


def _status(client: FlaskClient, auth: dict[str, str], link_id: str) -> TestResponse:
    return client.get(f"{LINKS}/{link_id}", headers=auth)


def _revoke(client: FlaskClient, auth: dict[str, str], link_id: str) -> TestResponse:
    return client.post(f"{LINKS}/{link_id}/revoke", headers=auth)


def test_link_is_open_then_revoked(client: FlaskClient, auth: dict[str, str]) -> None:
    """A new link is open; after revoke it is revoked; revoking again is still 200 revoked."""
    link_id = _issue(client, auth, {"products": KIT})["id"]
    assert _status(client, auth, link_id).get_json() == {"id": link_id, "status": "open"}
    first = _revoke(client, auth, link_id)
    assert first.status_code == 200
    assert first.get_json() == {"id": link_id, "status": "revoked"}
    assert _status(client, auth, link_id).get_json()["status"] == "revoked"
    again = _revoke(client, auth, link_id)
    assert (again.status_code, again.get_json()["status"]) == (200, "revoked")


def test_revoking_one_link_leaves_the_others_open(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Revocation is per link: a sibling link issued with the same body stays open."""
    one = _issue(client, auth, {"products": KIT})["id"]
    two = _issue(client, auth, {"products": KIT})["id"]
    assert _revoke(client, auth, one).status_code == 200
    assert _status(client, auth, two).get_json()["status"] == "open"


def test_revoked_link_page_is_gone(client: FlaskClient, auth: dict[str, str]) -> None:
    """After revoke the customer's cart page answers 410 instead of 200."""
    link = _issue(client, auth, {"products": KIT})
    assert client.get(link_path(link["url"])).status_code == 200
    _revoke(client, auth, link["id"])
    assert client.get(link_path(link["url"])).status_code == 410


def test_completed_link_cannot_be_revoked(client: FlaskClient, auth: dict[str, str]) -> None:
    """Once the customer placed the order, status is completed with its order id; revoke is 409."""
    link = _issue(client, auth, {"products": KIT})
    page = client.get(link_path(link["url"]))
    placed = client.post(
        link_path(link["url"]),
        data={
            "csrf_token": csrf_of(page.get_data(as_text=True)),
            "email": "ana@example.com",
            **BERLIN,
        },
    )
    assert placed.status_code == 303
    status = _status(client, auth, link["id"]).get_json()
    assert status["status"] == "completed"
    assert status["order_id"].startswith("ord_")
    problem_body(_revoke(client, auth, link["id"]), 409)
    assert _status(client, auth, link["id"]).get_json()["status"] == "completed"


def test_other_merchants_link_is_404(app: Flask, client: FlaskClient, auth: dict[str, str]) -> None:
    """Merchant B gets 404 for A's link on status and revoke, and A's link stays open."""
    link_id = _issue(client, auth, {"products": KIT})["id"]
    b_auth = _auth(add_merchant(app, "globex"))
    problem_body(_status(client, b_auth, link_id), 404)
    problem_body(_revoke(client, b_auth, link_id), 404)
    assert _status(client, auth, link_id).get_json()["status"] == "open"


def test_mangled_link_id_is_404(client: FlaskClient, auth: dict[str, str]) -> None:
    """A link id with any one character changed, cut or extended is 404 on status and revoke."""
    link_id = _issue(client, auth, {"products": KIT})["id"]
    swap = "A" if link_id[20] != "A" else "B"
    mangled = [
        link_id[:20] + swap + link_id[21:],
        link_id[:-1],
        link_id + "A",
        "lnk_" + link_id[5:] + link_id[4],
        "ord_" + link_id[4:],
        "lnk_garbage",
    ]
    for bad in mangled:
        problem_body(_status(client, auth, bad), 404)
        problem_body(_revoke(client, auth, bad), 404)
    assert _status(client, auth, link_id).get_json()["status"] == "open"


def test_expired_link_reports_expired(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    """A link id whose carried expiry is in the past has status expired."""
    with app.app_context():
        link_id = services().links.link_ids.make(new_link_rand(16), int(time.time()) - 5, "acme")
    assert _status(client, auth, link_id).get_json() == {"id": link_id, "status": "expired"}


def test_link_status_needs_an_api_key(client: FlaskClient, auth: dict[str, str]) -> None:
    """Status and revoke without a key are 401 and leave the link open."""
    link_id = _issue(client, auth, {"products": KIT})["id"]
    problem_body(client.get(f"{LINKS}/{link_id}"), 401)
    problem_body(client.post(f"{LINKS}/{link_id}/revoke"), 401)
    problem_body(client.post(LINKS, json={"products": KIT}), 401)
    assert _status(client, auth, link_id).get_json()["status"] == "open"


# ---------------------------------------------------------------------------- idempotency


def test_same_key_and_body_replays_the_link(client: FlaskClient, auth: dict[str, str]) -> None:
    """A retry with the same Idempotency-Key and body gets the same link, marked as replayed."""
    headers = {**auth, "Idempotency-Key": "order-8812"}
    body = {"products": [{"id": "pro-licence", "price": "99.00"}], "expires_in": 3600}
    first = client.post(LINKS, json=body, headers=headers)
    second = client.post(LINKS, json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json()["id"] == first.get_json()["id"]
    assert second.get_json()["url"] == first.get_json()["url"]


def test_same_key_with_another_body_is_422(client: FlaskClient, auth: dict[str, str]) -> None:
    """Reusing an Idempotency-Key with a different body is refused, pointing at the header."""
    headers = {**auth, "Idempotency-Key": "order-8813"}
    client.post(LINKS, json={"products": KIT}, headers=headers)
    resp = client.post(LINKS, json={"products": [{"id": "kit", "quantity": 2}]}, headers=headers)
    _assert_422_at(resp, ["header", "Idempotency-Key"])


def test_idempotency_keys_are_per_merchant(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    """Two merchants using the same key and body each get their own link, none replayed."""
    b_auth = _auth(add_merchant(app, "globex"))
    body = {"products": KIT}
    a = client.post(LINKS, json=body, headers={**auth, "Idempotency-Key": "shared"})
    b = client.post(LINKS, json=body, headers={**b_auth, "Idempotency-Key": "shared"})
    assert (a.status_code, b.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in b.headers
    assert a.get_json()["id"] != b.get_json()["id"]
    assert _status(client, b_auth, b.get_json()["id"]).get_json()["status"] == "open"
    problem_body(_status(client, b_auth, a.get_json()["id"]), 404)


def test_without_a_key_every_post_is_a_new_link(client: FlaskClient, auth: dict[str, str]) -> None:
    """Two identical POSTs without Idempotency-Key give two different links."""
    first = _issue(client, auth, {"products": KIT})
    second = _issue(client, auth, {"products": KIT})
    assert first["id"] != second["id"]
    assert first["url"] != second["url"]


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_idempotency_key_length_is_checked(
    client: FlaskClient, auth: dict[str, str], key: str
) -> None:
    """An empty or over-long Idempotency-Key is 422 pointing at the header."""
    resp = client.post(LINKS, json={"products": KIT}, headers={**auth, "Idempotency-Key": key})
    _assert_422_at(resp, ["header", "Idempotency-Key"])


@given(
    st.from_regex(r"[A-Za-z0-9._%+!#-]{1,20}@[A-Za-z0-9.-]{1,20}\.[A-Za-z]{1,6}", fullmatch=True)
)
@settings(max_examples=300, deadline=None)
def test_email_check_agrees_with_email_validator(address: str) -> None:
    """The fast email path accepts and rejects exactly what email-validator does."""
    from email_validator import EmailNotValidError, validate_email

    from checkout_links.core.schemas import check_email

    try:
        expected: str | None = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        expected = None
    try:
        got: str | None = check_email(address)
    except ValueError:
        got = None
    assert got == expected
