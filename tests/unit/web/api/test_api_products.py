"""The catalog endpoints of the merchant API: create, read, list, deactivate, authenticate."""

from __future__ import annotations

import time
from typing import Any

import fakeredis
import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout_links.testing import add_merchant, make_app, problem_body
from checkout_links.web.extensions import services

WIDGET = {
    "name": "Widget",
    "description": "A configurable widget",
    "price": "12.50",
    "currency": "EUR",
    "sku": "WID-1",
    "tax_code": "STD",
    "image_url": "https://cdn.example/widget.png",
    "delivery": "physical",
    "subscription": {"interval": "month", "interval_count": 3},
    "overridable": ["quantity", "properties"],
    "price_min": "10.00",
    "price_max": "20.00",
}


def _locs(body: dict[str, Any]) -> list[list[Any]]:
    return [err["loc"] for err in body["errors"]]


def _bare_merchant(app: Flask, merchant_id: str) -> dict[str, str]:
    """A merchant with an empty catalog; returns its auth header."""
    with app.app_context():
        key = services().merchants.create(merchant_id)["api_key"]
    return {"Authorization": f"Bearer {key}"}


def _key_id(api_key: str) -> str:
    return api_key.split("_", 2)[1]


def test_put_creates_then_replaces(client: FlaskClient, auth: dict[str, str]) -> None:
    """PUT of a new id is 201 with the stored product; PUT again replaces it with 200."""
    resp = client.put("/api/v1/products/widget", json=WIDGET, headers=auth)
    assert resp.status_code == 201
    created = resp.get_json()
    assert created["id"] == "widget"
    assert created["active"] is True
    assert created["subscription"] == {"interval": "month", "interval_count": 3}
    assert isinstance(created["rev"], int)
    assert created["updated_at"].endswith("Z")

    resp = client.put("/api/v1/products/widget", json={**WIDGET, "name": "Widget v2"}, headers=auth)
    assert resp.status_code == 200
    replaced = resp.get_json()
    assert replaced["name"] == "Widget v2"
    assert replaced["rev"] != created["rev"]
    assert client.get("/api/v1/products/widget", headers=auth).get_json()["name"] == "Widget v2"


def test_put_applies_defaults(client: FlaskClient, auth: dict[str, str]) -> None:
    """A product with only a name gets the documented defaults (all overridable, active)."""
    resp = client.put("/api/v1/products/minimal", json={"name": "Minimal"}, headers=auth)
    assert resp.status_code == 201
    got = client.get("/api/v1/products/minimal", headers=auth).get_json()
    assert got["active"] is True
    assert got["delivery"] == "digital"
    assert got["price"] is None
    assert set(got["overridable"]) == {
        "name",
        "price",
        "quantity",
        "sku",
        "vendor_code",
        "name_for_invoice",
        "description",
        "properties",
        "subscription",
    }


def test_get_returns_the_stored_product(client: FlaskClient, auth: dict[str, str]) -> None:
    """GET returns every field as it was PUT, plus id, rev and updated_at."""
    client.put("/api/v1/products/widget", json=WIDGET, headers=auth)
    got = client.get("/api/v1/products/widget", headers=auth)
    assert got.status_code == 200
    body = got.get_json()
    for field, value in WIDGET.items():
        assert body[field] == value, field
    assert {"id", "rev", "updated_at"} <= set(body)


def test_get_unknown_product_is_404(client: FlaskClient, auth: dict[str, str]) -> None:
    """GET and DELETE of an id the merchant does not have are 404 problem+json."""
    problem_body(client.get("/api/v1/products/nope", headers=auth), 404)
    problem_body(client.delete("/api/v1/products/nope", headers=auth), 404)
    problem_body(client.get("/api/v1/products/-bad-", headers=auth), 404)


def test_list_paginates_every_product_once_in_order(app: Flask, client: FlaskClient) -> None:
    """Seven products listed with limit 3 come as pages of 3, 3, 1, each id once, in id order."""
    auth = _bare_merchant(app, "shop")
    ids = ["p-5", "p-1", "p-6", "p-0", "p-3", "p-2", "p-4"]
    for pid in ids:
        assert client.put(f"/api/v1/products/{pid}", json={"name": pid}, headers=auth).status_code
    seen: list[str] = []
    sizes = []
    cursor = None
    for _ in range(10):
        query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        resp = client.get("/api/v1/products", query_string=query, headers=auth)
        assert resp.status_code == 200
        page = resp.get_json()
        sizes.append(len(page["items"]))
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sizes == [3, 3, 1]
    assert seen == sorted(ids)


def test_list_of_an_empty_catalog(app: Flask, client: FlaskClient) -> None:
    """A merchant without products lists no items and no cursor."""
    auth = _bare_merchant(app, "empty-shop")
    assert client.get("/api/v1/products", headers=auth).get_json() == {
        "items": [],
        "next_cursor": None,
    }


@pytest.mark.parametrize("limit", ["0", "101", "abc", "-1"])
def test_list_limit_is_validated(client: FlaskClient, auth: dict[str, str], limit: str) -> None:
    """A page size outside 1..100 is 422 pointing at the query parameter."""
    resp = client.get("/api/v1/products", query_string={"limit": limit}, headers=auth)
    assert _locs(problem_body(resp, 422)) == [["query", "limit"]]


def test_delete_deactivates(client: FlaskClient, auth: dict[str, str]) -> None:
    """DELETE keeps the product but inactive, and a link can no longer use it (422)."""
    ok = client.post("/api/v1/links", json={"products": [{"id": "kit"}]}, headers=auth)
    assert ok.status_code == 201
    resp = client.delete("/api/v1/products/kit", headers=auth)
    assert resp.status_code == 200
    assert resp.get_json()["active"] is False
    assert client.get("/api/v1/products/kit", headers=auth).get_json()["active"] is False
    refused = client.post("/api/v1/links", json={"products": [{"id": "kit"}]}, headers=auth)
    assert ["body", "products", 0, "id"] in _locs(problem_body(refused, 422))


@pytest.mark.parametrize(
    ("product_id", "body", "loc"),
    [
        ("-leading-dash", {"name": "x"}, ["path", "product_id"]),
        ("x" * 65, {"name": "x"}, ["path", "product_id"]),
        ("has space", {"name": "x"}, ["path", "product_id"]),
        ("ok", {}, ["body", "name"]),
        ("ok", {"name": ""}, ["body", "name"]),
        ("ok", {"name": "x", "price": "1.234", "currency": "EUR"}, ["body", "price"]),
        ("ok", {"name": "x", "price": "10.5", "currency": "JPY"}, ["body", "price"]),
        ("ok", {"name": "x", "price": 10, "currency": "EUR"}, ["body", "price"]),
        ("ok", {"name": "x", "price": "1e3", "currency": "EUR"}, ["body", "price"]),
        ("ok", {"name": "x", "price": "-1.00", "currency": "EUR"}, ["body", "price"]),
        ("ok", {"name": "x", "price": "10.00"}, ["body", "currency"]),
        ("ok", {"name": "x", "price": "10.00", "currency": "XYZ"}, ["body", "currency"]),
        (
            "ok",
            {"name": "x", "currency": "EUR", "price_min": "5.00", "price_max": "4.99"},
            ["body", "price_min"],
        ),
        ("ok", {"name": "x", "currency": "EUR", "price_max": "1.001"}, ["body", "price_max"]),
        (
            "ok",
            {"name": "x", "currency": "EUR", "price": "9.99", "price_min": "10.00"},
            ["body", "price"],
        ),
        (
            "ok",
            {"name": "x", "currency": "EUR", "price": "20.01", "price_max": "20.00"},
            ["body", "price"],
        ),
        ("ok", {"name": "x", "colour": "red"}, ["body", "colour"]),
        (
            "ok",
            {"name": "x", "subscription": {"interval": "fortnight"}},
            ["body", "subscription", "interval"],
        ),
        (
            "ok",
            {"name": "x", "subscription": {"interval": "month", "interval_count": 0}},
            ["body", "subscription", "interval_count"],
        ),
        (
            "ok",
            {"name": "x", "subscription": {"interval": "month", "every": 2}},
            ["body", "subscription", "every"],
        ),
        ("ok", {"name": "x", "subscription": "monthly"}, ["body", "subscription"]),
        ("ok", {"name": "x", "delivery": "teleport"}, ["body", "delivery"]),
        ("ok", {"name": "x", "overridable": ["colour"]}, ["body", "overridable", 0]),
        ("ok", {"name": "x", "image_url": "http://cdn.example/x.png"}, ["body", "image_url"]),
        ("ok", {"name": "x", "image_url": "https://cdn.example/a b.png"}, ["body", "image_url"]),
        ("ok", {"name": "x" * 201}, ["body", "name"]),
    ],
)
def test_invalid_products_are_422(
    client: FlaskClient,
    auth: dict[str, str],
    product_id: str,
    body: dict[str, Any],
    loc: list[Any],
) -> None:
    """Each invalid product is 422 problem+json whose errors point at the offending field."""
    resp = client.put(f"/api/v1/products/{product_id}", json=body, headers=auth)
    problem = problem_body(resp, 422)
    assert loc in _locs(problem)
    assert client.get(f"/api/v1/products/{product_id}", headers=auth).status_code == 404


def test_no_api_key_is_401(client: FlaskClient, api_key: str) -> None:
    """Every catalog endpoint answers 401 problem+json without an Authorization header."""
    for method, path in [
        ("GET", "/api/v1/products"),
        ("GET", "/api/v1/products/kit"),
        ("PUT", "/api/v1/products/kit"),
        ("DELETE", "/api/v1/products/kit"),
    ]:
        resp = client.open(path, method=method, json={"name": "x"})
        problem_body(resp, 401)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ck_000000000000_" + "x" * 43,
        "Bearer nonsense",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "ck_000000000000_xyz",
    ],
)
def test_unknown_api_key_is_401(client: FlaskClient, api_key: str, header: str) -> None:
    """A malformed or unknown key is 401."""
    problem_body(client.get("/api/v1/products", headers={"Authorization": header}), 401)


def test_right_key_id_with_wrong_secret_is_401(client: FlaskClient, api_key: str) -> None:
    """A key whose id exists but whose secret part differs is 401 (the whole key is checked)."""
    prefix, _, secret = api_key.rpartition("_")
    wrong = prefix + "_" + ("A" if secret[0] != "A" else "B") + secret[1:]
    resp = client.get("/api/v1/products", headers={"Authorization": f"Bearer {wrong}"})
    problem_body(resp, 401)
    ok = client.get("/api/v1/products", headers={"Authorization": f"Bearer {api_key}"})
    assert ok.status_code == 200


def test_revoked_key_is_401_at_once_without_cache(fake_redis: fakeredis.FakeRedis) -> None:
    """With cache_seconds=0 a key revoked by another process is refused on the next request."""
    app = make_app(fake_redis, cache_seconds=0)
    api_key = add_merchant(app)
    other = add_merchant(app, "globex")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {api_key}"}
    assert client.get("/api/v1/products", headers=auth).status_code == 200
    # The operator's process (a second app over the same store) revokes it, so the
    # serving app's own cache is not simply dropped by the revoking call.
    operator = make_app(fake_redis)
    with operator.app_context():
        services().merchants.revoke_key("acme", _key_id(api_key))
    problem_body(client.get("/api/v1/products", headers=auth), 401)
    problem_body(client.put("/api/v1/products/x", json={"name": "x"}, headers=auth), 401)
    # The other merchant's key is untouched.
    other_auth = {"Authorization": f"Bearer {other}"}
    assert client.get("/api/v1/products", headers=other_auth).status_code == 200


def test_revoked_key_is_401_after_the_cache_time(fake_redis: fakeredis.FakeRedis) -> None:
    """With a per-process cache, a key revoked elsewhere is refused once the cache time passed."""
    app = make_app(fake_redis, cache_seconds=0.2)
    api_key = add_merchant(app)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {api_key}"}
    assert client.get("/api/v1/products", headers=auth).status_code == 200
    operator = make_app(fake_redis)
    with operator.app_context():
        services().merchants.revoke_key("acme", _key_id(api_key))
    time.sleep(0.5)
    problem_body(client.get("/api/v1/products", headers=auth), 401)


def test_revoking_in_the_same_process_is_immediate(fake_redis: fakeredis.FakeRedis) -> None:
    """Revoking through the serving process drops its cached entry: 401 at once despite a cache."""
    app = make_app(fake_redis, cache_seconds=300)
    api_key = add_merchant(app)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {api_key}"}
    assert client.get("/api/v1/products", headers=auth).status_code == 200
    with app.app_context():
        services().merchants.revoke_key("acme", _key_id(api_key))
    problem_body(client.get("/api/v1/products", headers=auth), 401)


def test_revoking_another_merchants_key_is_not_found(app: Flask, api_key: str) -> None:
    """A merchant cannot revoke a key id that belongs to another merchant."""
    from checkout_links.core.errors import NotFound

    add_merchant(app, "globex")
    with app.app_context(), pytest.raises(NotFound):
        services().merchants.revoke_key("globex", _key_id(api_key))


def test_tenant_isolation(app: Flask, client: FlaskClient, auth: dict[str, str]) -> None:
    """Merchant B cannot see, list, deactivate or sell merchant A's product."""
    assert client.put("/api/v1/products/a-only", json=WIDGET, headers=auth).status_code == 201
    b_auth = {"Authorization": f"Bearer {add_merchant(app, 'globex')}"}
    problem_body(client.get("/api/v1/products/a-only", headers=b_auth), 404)
    problem_body(client.delete("/api/v1/products/a-only", headers=b_auth), 404)
    listed = client.get("/api/v1/products", headers=b_auth).get_json()
    assert "a-only" not in [item["id"] for item in listed["items"]]
    link = client.post(
        "/api/v1/links", json={"products": [{"id": "a-only", "price": "12.00"}]}, headers=b_auth
    )
    assert ["body", "products", 0, "id"] in _locs(problem_body(link, 422))
    # B's DELETE attempt left A's product active.
    assert client.get("/api/v1/products/a-only", headers=auth).get_json()["active"] is True


def test_same_product_id_is_separate_per_merchant(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    """Two merchants' products with the same id are independent: replacing one leaves the other."""
    b_auth = {"Authorization": f"Bearer {add_merchant(app, 'globex')}"}
    client.put("/api/v1/products/kit", json={"name": "B kit"}, headers=b_auth)
    assert client.get("/api/v1/products/kit", headers=auth).get_json()["name"] == "Setup kit"
    assert client.get("/api/v1/products/kit", headers=b_auth).get_json()["name"] == "B kit"
