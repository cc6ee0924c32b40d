"""Fuzz the merchant API against its own OpenAPI document with schemathesis, in process.

Valid and invalid inputs (positive and negative generation) go through the WSGI app as an
authenticated merchant; every response must be documented (status, content type, schema)
and none may be a server error.
"""

from __future__ import annotations

from typing import Any

import fakeredis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from checkout_links.testing import add_merchant, make_app

pytestmark = pytest.mark.slow

APP = make_app(
    fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2))),
    rate_limits_enabled=False,
)
API_KEY = add_merchant(APP)

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)
schema.config.update(headers={"Authorization": f"Bearer {API_KEY}"})
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=25,
    deterministic=True,
    database="none",
)


def _seed() -> None:
    """Give the fuzzer something to find: a link, an order and its event already exist."""
    from tests.conftest import csrf_of, link_path

    client = APP.test_client()
    auth = {"Authorization": f"Bearer {API_KEY}"}
    link = client.post("/api/v1/links", json={"products": [{"id": "kit"}]}, headers=auth).get_json()
    page = client.get(link_path(link["url"]))
    form = {"csrf_token": csrf_of(page.get_data(as_text=True)), "email": "ana@example.com"}
    assert client.post(link_path(link["url"]), data=form).status_code == 303


_seed()


def test_openapi_document_lists_every_merchant_route() -> None:
    """Every /api/v1 route of the app (but the document itself) is described in the document."""
    documented = {
        (path, method.upper())
        for path, ops in APP.test_client().get("/api/v1/openapi.json").get_json()["paths"].items()
        for method in ops
    }
    routed = {
        (str(rule.rule).replace("<", "{").replace(">", "}"), method)
        for rule in APP.url_map.iter_rules()
        if str(rule.rule).startswith("/api/v1/") and rule.endpoint != "api.openapi"
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }
    assert routed == documented


#: Operations whose documented 422 also covers rules no JSON Schema can state: a product id
#: must name an active catalog product, a price needs a currency and must fit its minor
#: units and guard rails, a line may set only what its product lets it override, a cart must
#: fit in a link, an Idempotency-Key may not be reused with another body.
BUSINESS_RULES = {"PUT /api/v1/products/{product_id}", "POST /api/v1/links"}
BUSINESS_DETAILS = (
    "The product is invalid.",
    "The link request is invalid.",
    "The cart total is too large.",
    "The cart is too large for a link",
    "This Idempotency-Key was already used with a different request body.",
)
#: Inside the schema layer (detail "The request is invalid."), only our own semantic
#: validators (currency list, country list, locale, https URL) and e-mail deliverability
#: rules are beyond the document; a type, length, pattern or required-field refusal of
#: schema-valid data would be a mismatch between the document and the models.
SEMANTIC_MSGS = ("Value error, ", "value is not a valid email address")


def _positive(case: schemathesis.Case[Any]) -> bool:
    return case.meta is None or case.meta.generation.mode is GenerationMode.POSITIVE


def _beyond_the_schema(case: schemathesis.Case[Any], problem: dict[str, Any]) -> bool:
    """Whether a 422 for schema-valid input comes only from rules the document cannot state."""
    if problem["detail"].startswith(BUSINESS_DETAILS):
        return True
    errors = problem.get("errors") or []
    return bool(errors) and all(e["msg"].startswith(SEMANTIC_MSGS) for e in errors)


@schema.parametrize()
def test_api_conforms_to_its_openapi_document(case: schemathesis.Case[Any]) -> None:
    """No generated request, valid or not, gets a 5xx or a response the document does not
    describe (status code, content type, body schema, and the other default checks)."""
    excluded: list[schemathesis.CheckFunction] = []
    business = case.operation.label in BUSINESS_RULES and _positive(case)
    if business:
        excluded.append(positive_data_acceptance)
    response = case.call_and_validate(excluded_checks=excluded)
    if business and response.status_code == 422:
        problem = response.json()
        assert _beyond_the_schema(case, problem), response.text


@pytest.mark.parametrize("active", [0, 1, "yes", "off"])
def test_product_active_must_be_a_json_boolean(active: object) -> None:
    """``active`` is documented as a boolean, so a number or a string is refused with 422."""
    client = APP.test_client()
    answer = client.put(
        "/api/v1/products/lax",
        json={"name": "Lax", "active": active},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert answer.status_code == 422


@pytest.mark.parametrize(
    ("path", "method", "body"),
    [
        ("/api/v1/links", "post", {"products": [{"id": "kit", "quantity": 2.0}]}),
        ("/api/v1/links", "post", {"products": [{"id": "kit"}], "expires_in": 600.0}),
        (
            "/api/v1/products/monthly",
            "put",
            {"name": "Monthly", "subscription": {"interval": "month", "interval_count": 1.0}},
        ),
    ],
)
def test_integral_numbers_are_integers(path: str, method: str, body: dict[str, Any]) -> None:
    """A JSON number such as ``2.0`` is an integer to JSON Schema, so integer fields take it."""
    client = APP.test_client()
    answer = client.open(
        path, method=method, json=body, headers={"Authorization": f"Bearer {API_KEY}"}
    )
    assert answer.status_code in (200, 201), answer.get_json()


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/products?limit=%C2%B2",
        "/api/v1/orders?limit=%C2%B2",
        "/api/v1/events?limit=%C2%B2",
        "/api/v1/orders?cursor=%C2%B2.ord_x",
        "/api/v1/events?cursor=%C2%B2.evt_x",
    ],
)
def test_unicode_digits_in_paging_are_refused_not_a_server_error(query: str) -> None:
    """A superscript digit in ``limit`` or ``cursor`` is a 422, never a 500."""
    answer = APP.test_client().get(query, headers={"Authorization": f"Bearer {API_KEY}"})
    assert answer.status_code == 422
