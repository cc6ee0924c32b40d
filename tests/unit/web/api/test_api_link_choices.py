"""Issuing links with cart choices: what the 201 says, what the token carries, the 422 rules."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout_links.testing import link_path, problem_body
from checkout_links.web.extensions import services

LINKS = "/api/v1/links"

CHOICES: dict[str, Any] = {
    "products": [
        {
            "id": "pro-licence",
            "price": "100.00",
            "quantity": 2,
            "adjustable_quantity": {"enabled": True, "minimum": 1, "maximum": 10},
            "discount": {"percent": "10", "label": "Volume"},
        },
        {"id": "support", "quantity": 1},
    ],
    "optional_items": [
        {"id": "kit", "adjustable_quantity": {"enabled": True, "minimum": 0, "maximum": 3}},
        {"id": "pro-licence", "price": "180.00", "name": "Pro+", "replaces": 0},
    ],
    "discount": {"amount": "5.00", "label": "Welcome"},
    "allow_promotion_codes": True,
}


def test_a_link_with_choices_is_issued_with_its_discounted_total(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    """The 201 total is the cart as issued after its discounts; the token carries the offer."""
    resp = client.post(LINKS, json=CHOICES, headers=auth)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    # 2 x 100.00 - 10 % + 95.00 support - 5.00
    assert (body["subtotal"], body["total"]) == ("295.00", "270.00")
    assert body["discounts"] == [
        {"label": "Volume", "amount": "20.00", "applies_to": "line", "line": 0},
        {"label": "Welcome", "amount": "5.00", "applies_to": "cart", "line": None},
    ]
    assert [line["quantity"] for line in body["lines"]] == [2, 1]
    with app.app_context():
        payload = services().codec.decode(link_path(body["url"]).removeprefix("/c/"))
    assert payload.choices is not None
    assert payload.choices.promotion_codes is True
    assert [item.replaces for item in payload.choices.optional or []] == [None, 0]


def test_a_link_without_choices_answers_as_before(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    """No choice field: no subtotal and no discounts in the 201, no choices in the token."""
    resp = client.post(LINKS, json={"products": [{"id": "kit"}]}, headers=auth)
    body = resp.get_json()
    assert (body["subtotal"], body["discounts"]) == (None, [])
    with app.app_context():
        assert services().codec.decode(link_path(body["url"])[3:]).choices is None


def _with(**changes: Any) -> dict[str, Any]:
    return {**CHOICES, **changes}


def _line(**changes: Any) -> dict[str, Any]:
    return {**CHOICES["products"][0], **changes}


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (
            _with(products=[_line(adjustable_quantity={"enabled": True, "minimum": 3})]),
            ["body", "products", 0, "adjustable_quantity"],
        ),
        (
            _with(products=[_line(adjustable_quantity={"enabled": True, "maximum": 1})]),
            ["body", "products", 0, "adjustable_quantity"],
        ),
        (
            _with(products=[_line(adjustable_quantity={"enabled": True, "maximum": 1_000_001})]),
            ["body", "products", 0, "adjustable_quantity", "maximum"],
        ),
        (
            _with(optional_items=[{"id": "kit", "replaces": 2}]),
            ["body", "optional_items", 0, "replaces"],
        ),
        (_with(optional_items=[{"id": "nope"}]), ["body", "optional_items", 0, "id"]),
        (
            _with(optional_items=[{"id": "pro-licence", "price": "1.00"}]),
            ["body", "optional_items", 0, "price"],
        ),
        (
            _with(optional_items=[{"id": "support", "name": "Renamed"}]),
            ["body", "optional_items", 0, "name"],
        ),
        (_with(optional_items=[{"id": "kit"}] * 11), ["body", "optional_items"]),
        (_with(discount={"amount": "5.001"}), ["body", "discount", "amount"]),
        (_with(discount={"percent": "150"}), ["body", "discount", "percent"]),
        (_with(discount={"percent": "5", "amount": "1.00"}), ["body", "discount"]),
        (
            _with(products=[_line(discount={"amount": "0"})]),
            ["body", "products", 0, "discount", "amount"],
        ),
        (
            _with(products=[_line(price="999999999999.00")]),
            ["body", "products"],
        ),
    ],
)
def test_choices_the_contract_forbids_are_refused_at_issuance(
    client: FlaskClient, auth: dict[str, str], body: dict[str, Any], loc: list[Any]
) -> None:
    """Bounds that do not hold the quantity, bad up-sells, bad offers and discounts: 422 there."""
    problem = problem_body(client.post(LINKS, json=body, headers=auth), 422)
    assert loc in [err["loc"][: len(loc)] for err in problem["errors"]], problem["errors"]


def test_a_product_that_fixes_its_quantity_cannot_be_made_adjustable(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Letting the customer choose a quantity needs "quantity" among the product's overridable."""
    client.put(
        "/api/v1/products/fixed",
        json={"name": "Fixed", "price": "9.00", "currency": "EUR", "overridable": ["name"]},
        headers=auth,
    )
    body = {"products": [{"id": "fixed", "adjustable_quantity": {"enabled": True}}]}
    problem = problem_body(client.post(LINKS, json=body, headers=auth), 422)
    assert [err["loc"] for err in problem["errors"]] == [["body", "products", 0, "quantity"]]
