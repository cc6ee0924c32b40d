"""The OpenAPI document is built from the routes and the records that write the answers."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import fakeredis
import msgspec
import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout_links.core import records
from checkout_links.testing import BERLIN, add_merchant, csrf_of, link_path, make_app
from checkout_links.web.api.openapi import build
from checkout_links.web.api.operations import Reply, encoder_for, operation
from checkout_links.web.api.views import bp as api_bp


@pytest.fixture(scope="module")
def app() -> Flask:
    return make_app(fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2))))


@pytest.fixture(scope="module")
def document(app: Flask) -> dict[str, Any]:
    doc: dict[str, Any] = app.test_client().get("/api/v1/openapi.json").get_json()
    return doc


def _routed(app: Flask) -> set[tuple[str, str]]:
    return {
        (str(rule.rule).replace("<", "{").replace(">", "}"), method)
        for rule in app.url_map.iter_rules()
        if str(rule.rule).startswith("/api/v1/") and rule.endpoint != "reference.openapi"
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }


def test_every_api_route_is_documented_and_every_documented_operation_is_routed(
    app: Flask, document: dict[str, Any]
) -> None:
    """The document's operations are exactly the app's /api/v1 routes (but the document's own)."""
    documented = {(p, m.upper()) for p, ops in document["paths"].items() for m in ops}
    assert documented == _routed(app)
    assert len(documented) == 26


def test_a_route_without_a_declared_operation_stops_the_build(app: Flask) -> None:
    """An /api/v1 view that declares no operation is refused, not silently left out."""
    extra = Flask(__name__)
    extra.register_blueprint(api_bp)
    extra.add_url_rule("/api/v1/secret", "secret", lambda: "")
    with pytest.raises(LookupError, match="/api/v1/secret"):
        build(extra)


def _schemas_with_properties(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in document["components"]["schemas"].items() if "properties" in s}


def test_every_field_of_every_schema_has_a_description_and_an_example(
    document: dict[str, Any],
) -> None:
    """Each property of each request and response schema says what it is and shows a value."""
    missing = [
        f"{name}.{field}: {what}"
        for name, schema in _schemas_with_properties(document).items()
        for field, prop in schema["properties"].items()
        for what in ("description", "examples")
        if what not in prop
    ]
    assert missing == []
    assert len(_schemas_with_properties(document)) >= 17


def test_every_parameter_has_a_description_and_an_example(document: dict[str, Any]) -> None:
    """Path, query and header parameters are documented with a sentence and a value."""
    params = [
        p
        for ops in document["paths"].values()
        for op in ops.values()
        for p in op.get("parameters", [])
    ]
    assert params
    assert [p["name"] for p in params if not p.get("description") or "example" not in p] == []


def test_every_error_answer_is_documented_as_problem_json(document: dict[str, Any]) -> None:
    """Each 4xx/5xx of each operation is application/problem+json with the Problem schema."""
    errors = [
        (path, method, status, answer)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
        for status, answer in op["responses"].items()
        if int(status) >= 400
    ]
    ref = {"$ref": "#/components/schemas/Problem"}
    assert {s for *_, s, _ in errors} >= {"401", "404", "409", "413", "415", "422", "429", "503"}
    assert [
        (p, m, s)
        for p, m, s, a in errors
        if a["content"] != {"application/problem+json": {"schema": ref}}
    ] == []


def test_a_price_or_price_limit_requires_a_currency_in_the_document(
    document: dict[str, Any],
) -> None:
    """The product schema states what the API enforces: no price without its currency."""
    rule = document["components"]["schemas"]["ProductIn"]["dependentRequired"]
    assert rule == {f: ["currency"] for f in ("price", "price_min", "price_max")}


def _sample_answers(app: Flask) -> dict[str, tuple[type[msgspec.Struct], bytes]]:
    """Real answers of the API, as written, keyed by the record that shapes them."""
    client: FlaskClient = app.test_client()
    key = add_merchant(app, "shapes")
    auth = {"Authorization": f"Bearer {key}"}
    body = {
        "products": [
            {"id": "kit"},
            {"id": "pro-licence", "price": "12.50", "properties": {"seats": "5"}},
        ],
        "customer": {"email": "ana@example.com"},
        "external_ref": "r-1",
    }
    issued = client.post("/api/v1/links", json=body, headers=auth)
    link = issued.get_json()
    page = client.get(link_path(link["url"]))
    form = {"csrf_token": csrf_of(page.get_data(as_text=True)), "email": "ana@example.com"}
    assert client.post(link_path(link["url"]), data={**form, **BERLIN}).status_code == 303

    def get(path: str) -> bytes:
        return client.get(path, headers=auth).data

    return {
        "link": (records.IssuedLink, issued.data),
        "orders": (records.OrderPage, get("/api/v1/orders")),
        "events": (records.EventPage, get("/api/v1/events")),
        "status": (records.LinkStatus, get(f"/api/v1/links/{link['id']}")),
        "product": (records.Product, get("/api/v1/products/pro-licence")),
        "products": (records.ProductPage, get("/api/v1/products")),
        "account": (records.AccountView, get("/api/v1/account")),
    }


def test_every_answer_is_its_records_own_encoding(app: Flask) -> None:
    """A real answer, read back and written through its record, gives the very same bytes:
    the record's fields, in its order, money as decimal strings, nothing else."""
    for name, (record, raw) in _sample_answers(app).items():
        assert encoder_for(record)(json.loads(raw)) == raw, name


def test_a_link_status_without_an_order_leaves_order_id_out() -> None:
    """An open link's status has no order_id member at all (the record omits its default)."""
    value = {"id": "lnk_x", "status": "open", "order_id": None}
    assert encoder_for(records.LinkStatus)(value) == b'{"id":"lnk_x","status":"open"}'


def test_a_field_the_record_does_not_declare_never_reaches_the_answer() -> None:
    """A stored order's internal merchant_id is dropped by the order's record, not by the view."""
    stored = {
        "id": "ord_x",
        "link_id": "lnk_x",
        "merchant_id": "acme",
        "created_at": "2026-11-27T18:00:00.125Z",
        "currency": "EUR",
        "total": Decimal("1.50"),
        "lines": [],
        "customer": {},
    }
    written = encoder_for(records.OrderView)(stored)
    assert b"merchant_id" not in written
    assert b'"total":"1.50"' in written
    order = msgspec.convert(stored, records.Order)
    assert b"merchant_id" not in encoder_for(records.OrderView)(order)


def test_a_view_cannot_answer_a_status_its_operation_does_not_declare() -> None:
    """Answering 200 from an operation that declares only 201 is an error, not an answer."""
    toy = Flask(__name__)

    @toy.get("/api/v1/toy")
    @operation("Toy", responses={201: records.LinkStatus})
    def toy_view() -> Reply:
        return Reply({"id": "lnk_x", "status": "open"}, 200)

    toy.testing = True
    with pytest.raises(KeyError):
        toy.test_client().get("/api/v1/toy")


def test_the_reference_page_allows_only_its_own_scripts(app: Flask) -> None:
    """/api/docs loads the bundled Redoc from the service; its CSP allows scripts from 'self'."""
    page = app.test_client().get("/api/docs")
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp
    assert "http" not in csp
    assert '<script src="/static/redoc/redoc.standalone.js">' in page.get_data(as_text=True)
    script = app.test_client().get("/static/redoc/redoc.standalone.js")
    assert script.status_code == 200
    assert b"ReDoc" in script.data[:200_000] or b"Redoc" in script.data[:2000]


def test_the_skipped_delivery_state_is_documented(document: dict[str, Any]) -> None:
    """`skipped` (a merchant without a webhook URL) is in the event's state enum and in the
    `state` filter of GET /api/v1/events, and redeliver documents its 409."""
    event_state = document["components"]["schemas"]["Event"]["properties"]["state"]
    assert "skipped" in event_state["enum"]
    assert "webhook URL" in event_state["description"]
    [state] = [
        p for p in document["paths"]["/api/v1/events"]["get"]["parameters"] if p["name"] == "state"
    ]
    assert state["schema"]["enum"] == ["pending", "retrying", "delivered", "dead", "skipped"]
    redeliver = document["paths"]["/api/v1/events/{event_id}/redeliver"]["post"]
    assert {"202", "409"} <= set(redeliver["responses"])
