"""Query parameters are declared once: the OpenAPI document and the parser agree on every value."""

from __future__ import annotations

import re
from typing import Any

import fakeredis
import jsonschema_rs
import pytest
from flask.testing import FlaskClient

from checkout_links.core.errors import ValidationFailed
from checkout_links.core.i18n.messages import INVALID
from checkout_links.core.orders.queries import parse_rfc3339_ms
from checkout_links.core.records import LinkStatus
from checkout_links.testing import csrf_of, link_path, make_app, problem_body
from checkout_links.web.api import openapi
from checkout_links.web.api.operations import Param, QueryParam, operation, operation_of

LISTS = [
    "/api/v1/products",
    "/api/v1/promotions",
    "/api/v1/tax_rates",
    "/api/v1/orders",
    "/api/v1/events",
]


def _declared() -> list[tuple[str, QueryParam[Any]]]:
    """Every query parameter the app's operations declare, with its operation's path."""
    app = make_app(fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2))))
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        op = operation_of(app.view_functions[rule.endpoint])
        for param in op.params if op else ():
            if param.location == "query":
                assert isinstance(param, QueryParam)
                found.append((rule.rule, param))
    return found


DECLARED = _declared()
IDS = [f"{path}?{param.name}" for path, param in DECLARED]


def _accepts(param: QueryParam[Any], raw: str | None) -> bool:
    """Whether the parser takes ``raw``; a refusal must be a 422 naming the parameter."""
    try:
        param.parse(raw)
    except ValidationFailed as exc:
        locs = [err.loc for err in exc.errors]
    else:
        return True
    assert locs == [("query", param.name)]
    return False


def _inside_and_outside(schema: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Values just inside the schema's enum or bounds, and values just outside them."""
    inside: list[str] = []
    outside: list[str] = []
    if "enum" in schema:
        inside += schema["enum"]
        outside += [""] + [value + "x" for value in schema["enum"]]
        outside += [value.upper() for value in schema["enum"] if value.upper() != value]
    if "minimum" in schema:
        inside.append(str(schema["minimum"]))
        outside.append(str(schema["minimum"] - 1))
    if "maximum" in schema:
        inside.append(str(schema["maximum"]))
        outside.append(str(schema["maximum"] + 1))
    if "minLength" in schema:
        inside.append("x" * schema["minLength"])
        if schema["minLength"] > 0:
            outside.append("x" * (schema["minLength"] - 1))
    if "maxLength" in schema:
        inside.append("x" * schema["maxLength"])
        outside.append("x" * (schema["maxLength"] + 1))
    return inside, outside


BOUNDED = [
    (path, param)
    for path, param in DECLARED
    if {"enum", "minimum", "maximum", "minLength", "maxLength"} & set(param.schema)
]


@pytest.mark.parametrize(("path", "param"), BOUNDED, ids=[f"{p}?{q.name}" for p, q in BOUNDED])
def test_values_just_inside_the_declared_bounds_pass_and_just_outside_fail(
    path: str, param: QueryParam[Any]
) -> None:
    """For each parameter with an enum or bounds, the edge values pass and the next ones fail."""
    inside, outside = _inside_and_outside(dict(param.schema))
    assert inside
    assert outside
    assert [v for v in inside if not _accepts(param, v)] == []
    assert [v for v in outside if _accepts(param, v)] == []


#: Strings near every rule the declared schemas state: digits, paging cursors,
#: control characters, RFC 3339 date-times and their edges.
CANDIDATES = [
    *["", "0", "1", "20", "99", "100", "101", "1000", "-1", "1.0", "²", "1e1", "abc"],
    *["1.x", "1.", ".x", "12345678901234567.x", "1234567890123456.ord_x", "1.x\ny", "1.\n"],
    *["²1.x", "kit", "AAA", "a\x00b", "a\n", "\u202etxt", "a\x9fb", "x" * 128, "x" * 129],
    *["pending", "retrying", "delivered", "dead", "lost", "order.created"],
    *["2026-11-27T18:00:00Z", "2026-11-27t18:00:00z", "2026-11-27T18:00:00.5+01:00"],
    *["2026-11-27T18:00:00.123456789Z", "2026-11-27T18:00:00.1234567891Z", "2026-11-27"],
    *["2026-11-27T18:00:00", "2026-11-27T18:00:00+25:00", "2026-11-27T18:00:00+23:59"],
    *["2026-11-27T18:00:00-00:00", "2026-02-29T00:00:00Z", "2028-02-29T00:00:00Z"],
    *["2026-13-01T00:00:00Z", "2026-11-27T24:00:00Z", "2026-11-27T18:60:00Z"],
    *["2026-11-27T23:59:60Z", "2026-11-28T00:59:60+01:00", "2026-11-27T23:59:60+01:00"],
    *["2026-11-27T18:00:60Z", "2026-11-27T23:59:61Z", "2026-11-27T18:00:00.Z"],
    *["0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-01:00"],
]


def _documented(schema: dict[str, Any], raw: str) -> bool:
    """Whether the document calls ``raw`` valid, as schemathesis's validator reads it."""
    value: Any = raw
    if schema.get("type") == "integer" and re.fullmatch(r"-?[0-9]+", raw):
        value = int(raw)
    return bool(jsonschema_rs.validator_for(schema, validate_formats=True).is_valid(value))


@pytest.mark.parametrize(("path", "param"), DECLARED, ids=IDS)
def test_the_document_and_the_parser_agree_on_every_value(
    path: str, param: QueryParam[Any]
) -> None:
    """A value is refused with a 422 naming the parameter exactly when its schema refuses it."""
    schema = dict(param.schema)
    inside, outside = _inside_and_outside(schema)
    candidates = CANDIDATES + inside + outside + [str(param.example)]
    disagree = [
        (raw, f"documented {_documented(schema, raw)}")
        for raw in candidates
        if _accepts(param, raw) != _documented(schema, raw)
    ]
    assert disagree == []


@pytest.mark.parametrize(("path", "param"), DECLARED, ids=IDS)
def test_an_absent_parameter_is_its_documented_default(path: str, param: QueryParam[Any]) -> None:
    """Leaving a parameter out is never refused, and gives its ``default`` when it has one."""
    assert _accepts(param, None)
    assert param.parse(None) == param.schema.get("default")


def test_the_api_documents_each_declared_query_parameter_as_declared() -> None:
    """The document's query parameters are exactly the declared ones, with their schemas."""
    app = make_app(fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2))))
    document = openapi.build(app)
    documented = [
        (re.sub(r"\{([^}]+)\}", r"<\1>", path), p["name"], p["schema"])
        for path, ops in document["paths"].items()
        for op in ops.values()
        for p in op.get("parameters", [])
        if p["in"] == "query"
    ]
    assert documented == [(path, p.name, dict(p.schema)) for path, p in DECLARED]
    assert {path for path, _ in DECLARED} == set(LISTS)


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("limit", ["0", "101"])
def test_a_limit_out_of_bounds_is_a_422_naming_it(
    client: FlaskClient, auth: dict[str, str], path: str, limit: str
) -> None:
    """``limit`` outside 1..100 on any list is a 422 whose one error names ``query.limit``."""
    body = problem_body(client.get(f"{path}?limit={limit}", headers=auth), 422)
    assert body["detail"] == INVALID
    assert body["errors"] == [
        {"loc": ["query", "limit"], "msg": "Use a whole number from 1 to 100."}
    ]


def test_unknown_query_parameters_are_ignored(client: FlaskClient, auth: dict[str, str]) -> None:
    """A query parameter no operation declares changes nothing (no 422, the same page)."""
    plain = client.get("/api/v1/products?limit=2", headers=auth)
    extra = client.get("/api/v1/products?limit=2&sort=desc&limit_=0", headers=auth)
    assert extra.status_code == 200
    assert extra.get_json() == plain.get_json()


def test_the_first_bad_parameter_in_declaration_order_is_named(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """With several bad values, the 422 names the first in the document's order, and only it."""
    body = problem_body(client.get("/api/v1/events?state=lost&limit=0", headers=auth), 422)
    assert [err["loc"] for err in body["errors"]] == [["query", "limit"]]


def test_a_query_parameter_without_a_parser_cannot_be_declared() -> None:
    """Declaring an operation with a query parameter that only documents is a ``TypeError``."""
    undocumented = Param("sort", "query", "Sort order.", {"type": "string"}, example="asc")
    with pytest.raises(TypeError, match="sort"):
        operation("List", responses={200: LinkStatus}, params=(undocumented,))


@pytest.mark.parametrize(
    ("value", "ms"),
    [
        ("1970-01-01T00:00:00.0000000001Z", 1),
        ("1970-01-01T00:00:00.0010000000Z", 1),
        ("1970-01-01T00:00:00.0019999999999Z", 2),
        ("1969-12-31T23:59:60Z", 0),
        ("1970-01-01T00:59:60.5+01:00", 500),
        ("0000-01-01T00:00:00Z", -62_167_219_200_000),
        ("0000-02-29T00:00:00Z", -62_162_121_600_000),
    ],
)
def test_date_time_edges_of_the_format_name_their_instant(value: str, ms: int) -> None:
    """Long fractions round up, a leap second is the next day's first second, year 0 counts."""
    assert parse_rfc3339_ms(value, "created_gte") == ms


def test_an_empty_type_matches_no_event(client: FlaskClient, auth: dict[str, str]) -> None:
    """``type=`` is a type no event has, as the document says of any other value, not "any type"."""
    link = client.post("/api/v1/links", json={"products": [{"id": "support"}]}, headers=auth)
    page = client.get(link_path(link.get_json()["url"]))
    form = {"csrf_token": csrf_of(page.get_data(as_text=True)), "email": "ana@example.com"}
    assert client.post(link_path(link.get_json()["url"]), data=form).status_code == 303

    def listed(query: str) -> list[str]:
        answer = client.get(f"/api/v1/events?{query}", headers=auth)
        return [event["type"] for event in answer.get_json()["items"]]

    assert listed("") == listed("type=order.created") == ["order.created"]
    assert listed("type=") == []
