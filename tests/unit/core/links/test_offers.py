"""A link's offer from request to token to pricing (core/links/offers.py) and into the order."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from checkout_links.core.links.choices import LinkChoicesIn
from checkout_links.core.links.offers import (
    build_choices,
    chosen_lines,
    discount_rows,
    offer_of,
    optional_cart_lines,
)
from checkout_links.core.links.token import CartLine, LinkPayload
from checkout_links.core.pricing import Choice, price
from checkout_links.core.primitives.jsonutil import dumps
from checkout_links.core.records import DiscountRow, Line

REQUEST: dict[str, Any] = {
    "products": [
        {
            "id": "seat",
            "quantity": 2,
            "adjustable_quantity": {"enabled": True, "minimum": 0, "maximum": 9},
            "discount": {"percent": "12.5"},
        },
        {"id": "kit"},
    ],
    "optional_items": [{"id": "pro", "replaces": 0}, {"id": "support", "quantity": 2}],
    "discount": {"amount": "5.00", "label": "Welcome"},
    "allow_promotion_codes": True,
}


@dataclass(frozen=True)
class Merged:
    """A merged line as links.py makes it: only what pricing reads."""

    product_id: str
    price: Decimal
    quantity: int


def request(body: dict[str, Any]) -> LinkChoicesIn:
    return LinkChoicesIn.model_validate_json(json.dumps(body))


def payload(choices: Any) -> LinkPayload:
    lines = [CartLine("seat", 1, 2), CartLine("kit", 2)]
    return LinkPayload(b"r" * 16, "acme", 0, 1, "EUR", lines, choices=choices)


def test_the_requests_choices_price_the_same_after_the_token() -> None:
    """Bounds, the line and cart discounts and the up-sell survive into pricing's offer."""
    req = request(REQUEST)
    choices, errors = build_choices(req, "EUR", [CartLine("pro", 3), CartLine("support", 4, 2)])
    assert errors == []
    link = payload(choices)
    assert [line.product_id for line in optional_cart_lines(link)] == ["pro", "support"]
    lines = [Merged("seat", Decimal("10.00"), 2), Merged("kit", Decimal("4.00"), 1)]
    extras = [Merged("pro", Decimal("30.00"), 1), Merged("support", Decimal("1.50"), 2)]
    offer = offer_of(link, lines, extras)
    cart = price(offer, Choice((5, 1), (0, 2)))
    assert [d.amount for d in cart.discounts] == [Decimal("6.25"), Decimal("5.00")]
    assert cart.total == Decimal("45.75")
    upgraded = price(offer, Choice((5, 1), (1, 0)))
    assert [line.product_id for line in upgraded.lines] == ["pro", "kit"]


def test_a_link_without_choices_carries_none() -> None:
    """A request using none of the fields adds nothing to the token."""
    choices, errors = build_choices(request({"products": [{"id": "kit"}]}), "EUR", [])
    assert (choices, errors) == (None, [])


def test_an_amount_off_with_more_decimals_than_the_currency_is_refused() -> None:
    """5.50 off a JPY link is a 422 on the discount's amount."""
    _, errors = build_choices(request(REQUEST), "JPY", [CartLine("pro", 3), CartLine("s", 4)])
    assert [e.loc for e in errors] == [("body", "discount", "amount")]


@pytest.mark.parametrize(
    "change",
    [
        {"discount": {"percent": "10", "amount": "1.00"}},
        {"discount": {"percent": "0"}},
        {"optional_items": [{"id": "x"}] * 11},
        {"products": [{"id": "a", "adjustable_quantity": {"enabled": True, "maximum": 1000001}}]},
        {"products": [{"id": "a", "adjustable_quantity": {"enabled": "yes"}}]},
        {"optional_items": [{"id": "x", "replaces": -1}]},
        {"allow_promotion_codes": "true"},
    ],
)
def test_malformed_choice_fields_are_refused(change: dict[str, Any]) -> None:
    """Both discount kinds, 0 %, 11 offers, bounds over 10^6, non-booleans, negative indexes."""
    with pytest.raises(ValidationError):
        request({**REQUEST, **change})


def line(product_id: str, price: str, quantity: int) -> Line:
    amount = Decimal(price) * quantity
    return Line(product_id=product_id, name=product_id.title(), price=Decimal(price),
                quantity=quantity, amount=amount)  # fmt: skip


def test_the_order_records_each_line_as_chosen() -> None:
    """Chosen quantity and amount, the optional marker, the replaced product, the discounts."""
    choices, _ = build_choices(request(REQUEST), "EUR", [CartLine("pro", 3), CartLine("s", 4, 2)])
    lines = [line("seat", "10.00", 2), line("kit", "4.00", 1)]
    extras = [line("pro", "30.00", 1), line("support", "1.50", 2)]
    cart = price(offer_of(payload(choices), lines, extras), Choice((2, 1), (1, 2)))
    rows = chosen_lines(cart, lines, extras)
    assert [(r.product_id, r.quantity, str(r.amount), r.optional, r.replaced) for r in rows] == [
        ("pro", 1, "30.00", True, "seat"),
        ("kit", 1, "4.00", False, None),
        ("support", 2, "3.00", True, None),
    ]
    assert b'"optional":false,"replaced":null}' in dumps(rows[1])
    assert discount_rows(cart) == (
        DiscountRow(label="Welcome", amount=Decimal("5.00"), applies_to="cart"),
    )
    assert (cart.subtotal, cart.total) == (Decimal("37.00"), Decimal("32.00"))
