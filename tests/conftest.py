"""Shared fixtures: an app on a private fakeredis, or on a real redis-server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fakeredis
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from checkout_links import create_app
from checkout_links.core.schemas import ProductIn
from checkout_links.web.extensions import services

SECRET_A = "a" * 40
SECRET_B = "b" * 40

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
    app = create_app({"SETTINGS": overrides, "REDIS_CLIENT": client, "TESTING": True})
    return app


def add_merchant(app: Flask, merchant_id: str = "acme", currency: str = "EUR") -> str:
    """Create a merchant with the test catalog; returns its API key."""
    with app.app_context():
        svc = services()
        created = svc.merchants.create(merchant_id, currency=currency)
        for pid, fields in CATALOG.items():
            svc.catalog.put_product(merchant_id, pid, ProductIn.model_validate(fields))
    return created["api_key"]


@pytest.fixture
def fake_redis() -> fakeredis.FakeRedis:
    return fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2)))


@pytest.fixture
def app(fake_redis: fakeredis.FakeRedis) -> Flask:
    return make_app(fake_redis)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def api_key(app: Flask) -> str:
    return add_merchant(app)


@pytest.fixture
def auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


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


@pytest.fixture
def real_redis(tmp_path: Path) -> Iterator[Any]:
    """A real redis-server (AOF, appendfsync always) on a free loopback port."""
    from tests.support.servers import RedisServer

    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()
