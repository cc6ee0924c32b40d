"""The demo: a merchant with a small catalog, and what a newcomer types next."""

from __future__ import annotations

import json

from checkout_links.core.errors import Conflict
from checkout_links.core.schemas import ProductIn
from checkout_links.web.extensions import services

DEMO_MERCHANT = "demo"

DEMO_CATALOG: list[dict[str, object]] = [
    {
        "id": "pro-licence",
        "name": "Pro licence",
        "description": "Per-seat licence, priced by the seat calculator.",
        "sku": "PRO",
        "tax_code": "SW-LIC",
        "delivery": "digital",
        "currency": "EUR",
        "price_min": "10.00",
        "price_max": "100000.00",
    },
    {
        "id": "support-hours",
        "name": "Support hours",
        "price": "95.00",
        "currency": "EUR",
        "overridable": ["quantity", "properties"],
    },
    {
        "id": "setup-kit",
        "name": "Setup kit",
        "description": "Hardware token and printed guide.",
        "price": "49.90",
        "currency": "EUR",
        "delivery": "physical",
    },
]

EXAMPLE_LINK = {
    "currency": "EUR",
    "products": [
        {
            "id": "pro-licence",
            "name": "Pro licence, 25 seats, 1 year",
            "price": "1249.00",
            "properties": {"seats": "25", "term": "12 months"},
        },
        {"id": "support-hours", "quantity": 3},
    ],
    "customer": {"email": "ana@example.com", "first_name": "Ana", "country": "DE"},
    "locale": "de",
}


def seed(base_url: str) -> str:
    """Create the demo merchant and catalog; return the banner to print."""
    svc = services()
    try:
        created = svc.merchants.create(DEMO_MERCHANT, name="Demo shop", currency="EUR")
        api_key = created["api_key"]
    except Conflict:
        api_key = svc.merchants.add_key(DEMO_MERCHANT)
    for item in DEMO_CATALOG:
        fields = {k: v for k, v in item.items() if k != "id"}
        svc.catalog.put_product(DEMO_MERCHANT, str(item["id"]), ProductIn.model_validate(fields))
    body = json.dumps(EXAMPLE_LINK)
    return (
        "\n"
        "checkout-links demo (in-process store: nothing survives a restart)\n"
        f"  merchant: {DEMO_MERCHANT}\n"
        f"  API key:  {api_key}\n"
        "  catalog:  " + ", ".join(str(p["id"]) for p in DEMO_CATALOG) + "\n\n"
        'Create a link, then open its "url" in a browser:\n\n'
        f"  curl -s {base_url}/api/v1/links \\\n"
        f"    -H 'Authorization: Bearer {api_key}' \\\n"
        "    -H 'Content-Type: application/json' \\\n"
        f"    -d '{body}'\n"
    )
