"""Test helpers shipped with the package, shared by the test suite and bench/.

``make_app`` and ``add_merchant`` build an app with throwaway keys and a small
catalog; :mod:`.servers` (and :mod:`.cluster`, :mod:`.realapp`) start real
redis-server, nginx and gunicorn processes on 127.0.0.1. None of it is used by
the service itself; :mod:`.realapp` reads ``deploy/`` and so needs a checkout.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from checkout_links import create_app
from checkout_links.core.schemas import ProductIn
from checkout_links.web.extensions import services

SECRET_A = "a" * 40
SECRET_B = "b" * 40

#: The test catalog: one product priced per link, one with a default price
#: that only its quantity and properties may change, one physical product.
CATALOG: dict[str, dict[str, Any]] = {
    "pro-licence": {
        "name": "Pro licence",
        "description": "Seat licence",
        "sku": "PRO",
        "currency": "EUR",
        "price_min": "10.00",
        "price_max": "100000.00",
    },
    "support": {
        "name": "Support hours",
        "price": "95.00",
        "currency": "EUR",
        "overridable": ["quantity", "properties"],
    },
    "kit": {"name": "Setup kit", "price": "49.90", "currency": "EUR", "delivery": "physical"},
}


def make_app(client: Any, **settings: Any) -> Flask:
    """An app over ``client`` with test keys; ``settings`` override the environment."""
    overrides = {"secret_keys": SECRET_A, "base_url": "http://localhost", **settings}
    return create_app({"SETTINGS": overrides, "REDIS_CLIENT": client, "TESTING": True})


def add_merchant(app: Flask, merchant_id: str = "acme", currency: str = "EUR") -> str:
    """Create a merchant with the test catalog; returns its API key."""
    with app.app_context():
        svc = services()
        created = svc.merchants.create(merchant_id, currency=currency)
        for pid, fields in CATALOG.items():
            svc.catalog.put_product(merchant_id, pid, ProductIn.model_validate(fields))
    return str(created["api_key"])
