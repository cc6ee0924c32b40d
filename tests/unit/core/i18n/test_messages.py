"""Every validation failure of the API reads as a sentence for a person, in one wording."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from checkout_links.core.i18n.messages import INVALID

#: What pydantic says by itself; none of it may reach a merchant.
RAW = re.compile(r"pattern|\^|\$'|Input should|String should|Field required|Value error|\[A-Z")

LINE = {"id": "kit"}
BAD_REQUESTS: list[tuple[str, str, Any]] = [
    ("put", "/api/v1/products/x@1", {"name": "X"}),
    ("put", "/api/v1/products/p1", {}),
    ("put", "/api/v1/products/p1", {"name": "X", "colour": "red"}),
    ("put", "/api/v1/products/p1", {"name": "X", "price": "1.5", "currency": "eur"}),
    ("put", "/api/v1/products/p1", {"name": "X", "price": 1.5, "currency": "EUR"}),
    ("put", "/api/v1/products/p1", {"name": " "}),
    ("put", "/api/v1/products/p1", {"name": "X" * 201}),
    ("put", "/api/v1/products/p1", {"name": "X", "active": "yes"}),
    ("put", "/api/v1/products/p1", {"name": "X", "delivery": "drone"}),
    (
        "put",
        "/api/v1/products/p1",
        {"name": "X", "subscription": {"interval": "month", "interval_count": 0}},
    ),
    ("put", "/api/v1/products/p1", {"name": "X", "image_url": "ftp://x"}),
    ("post", "/api/v1/links", {"products": []}),
    ("post", "/api/v1/links", {"products": [LINE] * 101}),
    ("post", "/api/v1/links", {"products": [{"id": "kit", "quantity": "2"}]}),
    ("post", "/api/v1/links", {"products": [{"id": "kit", "quantity": 1.5}]}),
    ("post", "/api/v1/links", {"products": [LINE], "customer": {"email": "ana@"}}),
    ("post", "/api/v1/links", {"products": [LINE], "customer": {"country": "XX"}}),
    ("post", "/api/v1/links", {"products": [LINE], "customer": {"phone": "call me"}}),
    ("post", "/api/v1/links", {"products": [LINE], "customer": {"language": "de@x"}}),
    ("post", "/api/v1/links", {"products": [LINE], "locale": "xx-YY-ZZ@q"}),
    ("post", "/api/v1/links", {"products": [LINE], "currency": "EURO"}),
    ("post", "/api/v1/links", {"products": [LINE], "expires_in": 0}),
    ("post", "/api/v1/links", {"products": [LINE], "return_url": "http://shop.example/"}),
    ("post", "/api/v1/links", {"products": "kit"}),
    ("get", "/api/v1/products?limit=0", None),
    ("get", "/api/v1/orders?cursor=abc", None),
    # Rules of the catalog and of money, checked by the core.
    ("post", "/api/v1/links", {"products": [{"id": "nope"}]}),
    ("post", "/api/v1/links", {"products": [{"id": "support", "price": "1.00"}]}),
    ("post", "/api/v1/links", {"products": [{"id": "pro-licence"}]}),
    ("post", "/api/v1/links", {"products": [{"id": "pro-licence", "price": "9.99"}]}),
    ("post", "/api/v1/links", {"products": [{"id": "kit", "price": "1.001"}]}),
    ("post", "/api/v1/links", {"currency": "USD", "products": [{"id": "kit"}]}),
    ("put", "/api/v1/products/p1", {"name": "X", "price": "1.00"}),
    (
        "put",
        "/api/v1/products/p1",
        {"name": "X", "currency": "EUR", "price_min": "9", "price_max": "1"},
    ),
    ("put", "/api/v1/products/p1", {"name": "X", "currency": "JPY", "price": "1.5"}),
]


@pytest.mark.parametrize(("method", "path", "body"), BAD_REQUESTS)
def test_each_refusal_says_what_to_change_in_a_sentence(
    client: FlaskClient, auth: dict[str, str], method: str, path: str, body: Any
) -> None:
    """A 422 has the one detail wording and, per field, a sentence without regex or jargon."""
    answer = client.open(path, method=method.upper(), json=body, headers=auth)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    problem = answer.get_json()
    assert problem["detail"] == INVALID
    assert problem["errors"]
    for error in problem["errors"]:
        assert re.fullmatch(r"[A-Z0-9].*[.]", error["msg"], re.S), error
        assert not RAW.search(error["msg"]), error
