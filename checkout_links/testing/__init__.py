"""Test helpers shipped with the package, shared by the test suite and bench/.

The only home of the tests' helpers: a test module imports from here or gets
a fixture from a ``conftest.py``, never from another test module.

Here: ``make_app`` and ``add_merchant`` build an app with throwaway keys and a
small catalog, ``memory_redis`` the fakeredis it usually runs on;
``problem_body``, ``csrf_of`` and ``link_path`` read the app's answers.

In process: :mod:`.shop` (place an order, run the worker's passes), :mod:`.seed`
(many orders through the ledger's script), :mod:`.cli` (the command paths).
Real processes on 127.0.0.1: :mod:`.servers` (redis-server, any process),
:mod:`.cluster`, :mod:`.sentinel`, :mod:`.realapp` (gunicorn, nginx),
:mod:`.workers` (``checkout-links worker``), :mod:`.webhook_receiver`,
:mod:`.smtp_server`, :mod:`.rawhttp` (bare-socket HTTP) and :mod:`.storefront`
(the pages in every state, for Chromium). None of it is used by the service
itself; :mod:`.realapp` reads ``deploy/`` and so needs a checkout.
"""

from __future__ import annotations

import re
from typing import Any

import fakeredis
from flask import Flask
from werkzeug.test import TestResponse

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


#: A billing address in Berlin: an order of the physical "kit" needs one (form fields).
BERLIN = {"country": "DE", "address": "Invalidenstr. 1", "postal_code": "10115", "city": "Berlin"}


#: The tests' CHECKOUT_METRICS_TOKEN, and the header that scrapes with it.
METRICS_TOKEN = "m" * 40
METRICS_AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def make_app(client: Any, **settings: Any) -> Flask:
    """An app over ``client`` with test keys and :data:`METRICS_TOKEN`; ``settings`` override
    the environment."""
    overrides = {
        "secret_keys": SECRET_A,
        "base_url": "http://localhost",
        "metrics_token": METRICS_TOKEN,
        **settings,
    }
    return create_app({"SETTINGS": overrides, "REDIS_CLIENT": client, "TESTING": True})


def add_merchant(app: Flask, merchant_id: str = "acme", currency: str = "EUR") -> str:
    """Create a merchant with the test catalog; returns its API key."""
    with app.app_context():
        svc = services()
        created = svc.merchants.create(merchant_id, currency=currency)
        for pid, fields in CATALOG.items():
            svc.catalog.put_product(merchant_id, pid, ProductIn.model_validate(fields))
    return str(created["api_key"])


def memory_redis() -> fakeredis.FakeRedis:
    """A private in-memory Redis (fakeredis speaking Redis 7.2), shared with no other test."""
    return fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2)))


def problem_body(resp: TestResponse, status: int) -> dict[str, Any]:
    """The problem+json body of ``resp``, after checking its status, media type and fields."""
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body: dict[str, Any] = resp.get_json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["type"].startswith("https://")
    return body


def csrf_of(html: str) -> str:
    """The CSRF token a cart page embeds in its form."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the cart page has no csrf_token field"
    return match.group(1)


def link_path(url: str) -> str:
    """The path of a link URL (``/c/<token>``), for the test client."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def new_cart_path(app: Flask) -> str:
    """The cart page path of a one-line link, issued by a new merchant of ``app``."""
    key = add_merchant(app)
    answer = app.test_client().post(
        "/api/v1/links",
        json={"products": [{"id": "pro-licence", "price": "10.00"}]},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return link_path(answer.get_json()["url"])
