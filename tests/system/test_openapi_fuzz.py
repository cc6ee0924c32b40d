"""Fuzz the merchant API against its own OpenAPI document with schemathesis, in process.

``--mode all`` (positive and negative cases) with every check schemathesis has,
positive_data_acceptance included, as configured in ``tests/system/schemathesis.toml``:
every answer must be documented (status, content type, headers, schema), none
may be a server error, invalid data must be refused and valid data accepted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fakeredis
import pytest
import schemathesis
from pydantic import BaseModel, ValidationError
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from checkout_links.core.links.choices import LinkChoicesIn, PromotionIn
from checkout_links.core.merchants.account import AccountPatch
from checkout_links.core.schemas import ProductIn
from checkout_links.core.tax.rates import TaxRateIn
from checkout_links.testing import add_merchant, csrf_of, link_path, make_app

pytestmark = pytest.mark.slow

APP = make_app(
    fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2))),
    rate_limits_enabled=False,
)
API_KEY = add_merchant(APP)
CONFIG = SchemathesisConfig.from_path(str(Path(__file__).with_name("schemathesis.toml")))

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP, config=CONFIG)
schema.config.update(headers={"Authorization": f"Bearer {API_KEY}"})


def _seed() -> None:
    """Give the fuzzer something to find: a link, an order and its event already exist."""
    client = APP.test_client()
    auth = {"Authorization": f"Bearer {API_KEY}"}
    link = client.post("/api/v1/links", json={"products": [{"id": "kit"}]}, headers=auth).get_json()
    page = client.get(link_path(link["url"]))
    form = {
        "csrf_token": csrf_of(page.get_data(as_text=True)),
        "email": "ana@example.com",
        # The kit is delivered: the order needs a name and a full address.
        **{"first_name": "Ana", "last_name": "Ruiz", "country": "DE", "city": "Berlin"},
        **{"address": "Invalidenstr. 1", "postal_code": "10115"},
    }
    assert client.post(link_path(link["url"]), data=form).status_code == 303


_seed()

#: The request model of each operation whose documented 422 includes rules beyond the schema.
BODY_MODELS: dict[str, type[BaseModel]] = {
    "PUT /api/v1/products/{product_id}": ProductIn,
    "POST /api/v1/links": LinkChoicesIn,
    "PATCH /api/v1/account": AccountPatch,
    "PUT /api/v1/promotions/{code}": PromotionIn,
    "PUT /api/v1/tax_rates/{rate_id}": TaxRateIn,
}


@schemathesis.check
def valid_data_is_refused_only_for_rules_beyond_the_schema(
    ctx: Any, response: Any, case: schemathesis.Case[Any]
) -> bool | None:
    """A 422 to schema-valid data comes from a rule the document states in words only.

    Either the body passes the request model (so the refusal is a catalog or
    money rule of the core), or the model refuses it only in its own value
    checks (currency, country, locale, e-mail and URL rules, an EU origin for the reverse
    charge, terms for required consent) - never for a
    type, length, pattern or required field the schema states.
    """
    model = BODY_MODELS.get(case.operation.label)
    positive = case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE
    if model is None or not positive or response.status_code != 422:
        return None
    if response.json()["errors"][0]["loc"][0] == "header":
        return None  # Idempotency-Key reused with another body
    try:
        model.model_validate_json(json.dumps(case.body))
    except ValidationError as exc:
        kinds = {err["type"] for err in exc.errors()}
        assert kinds <= {"value_error"}, f"the schema let through what the model refuses: {kinds}"
    return None


@schema.parametrize()
def test_api_conforms_to_its_openapi_document(case: schemathesis.Case[Any]) -> None:
    """No generated request, valid or not, gets a 5xx, an undocumented answer, an invalid
    request accepted or a valid one refused (every built-in check, plus the one above)."""
    case.call_and_validate(
        additional_checks=[valid_data_is_refused_only_for_rules_beyond_the_schema]
    )


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
    # A fresh app: the fuzzer may have deactivated or replaced the shared app's "kit".
    app = make_app(fakeredis.FakeRedis(server=fakeredis.FakeServer()), rate_limits_enabled=False)
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    answer = app.test_client().open(path, method=method, json=body, headers=auth)
    client = APP.test_client()
    # The fuzzer may have deactivated the seeded "kit" (DELETE /products/{id}): put it back.
    kit = {"name": "Setup kit", "price": "49.90", "currency": "EUR", "delivery": "physical"}
    client.put("/api/v1/products/kit", json=kit, headers={"Authorization": f"Bearer {API_KEY}"})
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
