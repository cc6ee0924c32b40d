"""Every validation message of the merchant API is a plain sentence, worded the same way."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from checkout_links.testing import add_merchant, problem_body

# (what, method, path, body, the field the error points at)
BAD_INPUTS: list[tuple[str, str, str, dict[str, Any], tuple[str | int, ...]]] = [
    (
        "EUR price with 3 decimals",
        "post",
        "/api/v1/links",
        {"currency": "EUR", "products": [{"id": "pro-licence", "price": "19.999"}]},
        ("body", "products", 0, "price"),
    ),
    (
        "KWD price with 4 decimals",
        "post",
        "/api/v1/links",
        {"currency": "KWD", "products": [{"id": "pro-licence", "price": "12.5001"}]},
        ("body", "products", 0, "price"),
    ),
    (
        "KWD product price with 4 decimals",
        "put",
        "/api/v1/products/seat",
        {"name": "Seat", "currency": "KWD", "price": "12.5001"},
        ("body", "price"),
    ),
    (
        "JPY price with decimals",
        "put",
        "/api/v1/products/book",
        {"name": "Book", "currency": "JPY", "price": "1500.5"},
        ("body", "price"),
    ),
    (
        "3-digit brand colour",
        "patch",
        "/api/v1/account",
        {"brand_color": "#ff0"},
        ("body", "brand_color"),
    ),
    (
        "2-character promotion code",
        "put",
        "/api/v1/promotions/X1",
        {"discount": {"percent": "10"}},
        ("path", "code"),
    ),
    (
        "percent with 3 decimals",
        "post",
        "/api/v1/links",
        {"products": [{"id": "support"}], "discount": {"percent": "12.345"}},
        ("body", "discount", "percent"),
    ),
]

#: What no message should show a merchant: a regular expression or pydantic's wording.
_MACHINE = re.compile(r"[\^$\\]|\[.*\]|\{\d|Value error|String should|must match")


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_each_refusal_says_in_words_what_to_send(
    app: Flask, case: tuple[str, str, str, dict[str, Any], tuple[str | int, ...]]
) -> None:
    """A refused value gets a sentence that says what form to use, never a regex, pydantic's
    prefix or the generic "not in the expected form"."""
    _, method, path, body, loc = case
    key = add_merchant(app)
    answer = getattr(app.test_client(), method)(
        path, json=body, headers={"Authorization": f"Bearer {key}"}
    )
    errors = problem_body(answer, 422)["errors"]
    found = [e["msg"] for e in errors if tuple(e["loc"]) == loc]
    assert len(found) == 1, errors
    message = found[0]
    assert not _MACHINE.search(message), message
    assert "expected form" not in message
    assert message[0].isupper(), message
    assert message.endswith("."), message


def test_money_refusals_name_the_currency_and_its_decimals(app: Flask) -> None:
    """Too many decimals is one sentence per currency naming its limit: KWD 3, EUR 2, JPY none."""
    key = add_merchant(app)
    client = app.test_client()
    said = {}
    for currency, price in [("KWD", "1.0001"), ("EUR", "1.001"), ("JPY", "1.5")]:
        answer = client.put(
            f"/api/v1/products/p-{currency.lower()}",
            json={"name": "P", "currency": currency, "price": price},
            headers={"Authorization": f"Bearer {key}"},
        )
        said[currency] = problem_body(answer, 422)["errors"][0]["msg"]
    assert said["KWD"] == "KWD allows at most 3 decimal places: round the amount."
    assert said["EUR"] == "EUR allows at most 2 decimal places: round the amount."
    assert said["JPY"].startswith("JPY has no decimal places")
