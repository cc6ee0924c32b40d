"""What the benchmark sends: the 5-line link request, the checkout form, codec carts.

The cart uses the test catalog (``checkout_links/testing``: ``pro-licence``,
``support``, ``kit``) and only overrides what each product allows, so the
service issues it with 201 and every line takes the full merge path.
"""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import urlencode

from checkout_links.core.links.token import CartLine, Customer, LinkPayload, Subscription
from checkout_links.core.storage.redis_keys import new_link_rand
from checkout_links.web.customer.cart_page import FIELD_NAMES

MERCHANT_ID = "bench"

CUSTOMER: dict[str, str] = {
    "email": "ana@example.com",
    "first_name": "Ana",
    "last_name": "Ruiz",
    "company": "Ruiz GmbH",
    "phone": "+49 30 1234567",
    "country": "DE",
    "region": "Berlin",
    "city": "Berlin",
    "postal_code": "10115",
    "address": "Invalidenstr. 1",
    "tax_id": "DE136695976",  # a valid German VAT id: the form checks it
    "language": "de",
}

#: ``POST /api/v1/links``: five lines, a full customer block, every optional field.
LINK_REQUEST: dict[str, Any] = {
    "currency": "EUR",
    "products": [
        {
            "id": "pro-licence",
            "name": "Pro licence, 25 seats, 1 year",
            "price": "1249.00",
            "quantity": 1,
            "sku": "PRO-25-1Y",
            "vendor_code": "crm-line-8812",
            "name_for_invoice": "Pro licence (25 seats)",
            "description": "Configured in the seat calculator",
            "properties": {"seats": "25", "term": "12 months"},
            "subscription": {"interval": "year", "interval_count": 1},
        },
        {"id": "support", "quantity": 10, "properties": {"level": "priority", "hours": "24/7"}},
        {"id": "kit", "name": "Setup kit, EU plug", "quantity": 2},
        {
            "id": "pro-licence",
            "name": "Pro licence, 5 seats, monthly",
            "price": "99.00",
            "quantity": 3,
            "properties": {"seats": "5"},
            "subscription": {"interval": "month", "interval_count": 1},
        },
        {"id": "kit", "quantity": 1},
    ],
    "customer": CUSTOMER,
    "additional_data": {"crm_deal": "8812", "campaign": "spring-2026"},
    "external_ref": "quote-2026-118",
    "expires_in": 86400,
    "return_url": "https://shop.example/thanks",
    "locale": "de",
}


def _with_choices(request: dict[str, Any]) -> dict[str, Any]:
    """``request`` with cart choices: a quantity the customer sets, an optional item, an
    up-sell, a cart discount and the promotion-code field."""
    products = [dict(line) for line in request["products"]]
    products[1]["adjustable_quantity"] = {"enabled": True, "minimum": 1, "maximum": 50}
    return {
        **request,
        "products": products,
        "optional_items": [
            {"id": "kit", "name": "Spare kit", "quantity": 1},
            {"id": "support", "quantity": 20, "replaces": 1},
        ],
        "discount": {"percent": "10", "label": "Bundle"},
        "allow_promotion_codes": True,
    }


#: ``bench/profiling.py --link``: the benchmark cart as it is, or with the features a
#: link can add (``tax`` is the same link for a merchant with tax rates; see profiling.py).
LINK_REQUESTS: dict[str, dict[str, Any]] = {
    "plain": LINK_REQUEST,
    # Without the physical kit: no delivery address asked (the link uses none of the
    # checkout's optional features).
    "digital": {
        **LINK_REQUEST,
        "products": [line for line in LINK_REQUEST["products"] if line["id"] != "kit"],
    },
    "choices": _with_choices(LINK_REQUEST),
    "tax": LINK_REQUEST,
}


def order_form(csrf_token: str) -> str:
    """The urlencoded ``POST /c/<token>`` body for one CSRF token."""
    return urlencode([("csrf_token", csrf_token), *((f, CUSTOMER[f]) for f in FIELD_NAMES)])


_WORDS = (
    "licence seats annual monthly support priority hardware kit adapter training onboarding",
    "workshop consulting hours premium basic storage backup archive module analytics export",
    "gateway sensor cable mount bracket remote on-site express warranty extension renewal",
)
_VOCABULARY = [word for group in _WORDS for word in group.split(" ")]


def codec_payload(n_lines: int, seed: int = 7) -> LinkPayload:
    """A payload of ``n_lines`` varied lines plus a full customer block, as issuance builds it.

    Lines mix what merchants send: every third line overrides name, price,
    sku and properties; the rest only quantity (and sometimes a property).
    Texts vary per line so deflate cannot just repeat one line.
    """
    rng = random.Random(seed)
    lines = []
    for i in range(n_lines):
        words = " ".join(rng.sample(_VOCABULARY, 3)).capitalize()
        if i % 3 == 0:
            lines.append(
                CartLine(
                    product_id=f"prod-{rng.randrange(1000):03d}",
                    rev=rng.getrandbits(32),
                    quantity=rng.randrange(1, 50),
                    price_minor=rng.randrange(100, 500_000),
                    name=f"{words}, {rng.randrange(1, 100)} units",
                    sku=f"SKU-{rng.randrange(10**6):06d}",
                    properties={"ref": f"crm-{rng.randrange(10**5)}", "term": "12 months"},
                    subscription=Subscription("year") if i % 2 else None,
                )
            )
        else:
            props = {"note": words} if i % 3 == 1 else None
            lines.append(
                CartLine(
                    product_id=f"prod-{rng.randrange(1000):03d}",
                    rev=rng.getrandbits(32),
                    quantity=rng.randrange(1, 10),
                    properties=props,
                )
            )
    return LinkPayload(
        link_rand=new_link_rand(16),
        merchant_id=MERCHANT_ID,
        issued_at=1_780_000_000,
        expires_at=1_780_604_800,
        currency="EUR",
        lines=lines,
        customer=Customer(**CUSTOMER),
        additional_data={"crm_deal": "8812"},
        external_ref="quote-2026-118",
        return_url="https://shop.example/thanks",
        locale="de",
    )
