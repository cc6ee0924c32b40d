"""Shared fixtures: an app on a private fakeredis, or on a real redis-server.

The helpers behind them live in :mod:`checkout_links.testing`, shared with bench/.
"""

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

# Re-exported: tests import the app helpers from here as well as from checkout_links.testing.
from checkout_links.testing import SECRET_A, SECRET_B, add_merchant, make_app

__all__ = ["SECRET_A", "SECRET_B", "add_merchant", "make_app"]


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
    from checkout_links.testing.servers import RedisServer

    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()
