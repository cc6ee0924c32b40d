"""Shared fixtures: an app on a private fakeredis, or on a real redis-server.

The tree says what a test needs: ``tests/unit/`` runs in process (pure code or
fakeredis, no sockets, no waiting), ``tests/integration/`` against a real
redis-server or a real peer on loopback (webhook receivers), ``tests/system/``
against real processes (gunicorn, nginx, Redis Cluster or Sentinel, Chromium,
the console scripts). Each test gets the marker of its directory, so
``-m unit`` selects the same tests as ``tests/unit``. The helpers behind the
fixtures live in :mod:`checkout_links.testing`, shared with bench/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fakeredis
import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout_links.testing import add_merchant, make_app, memory_redis
from checkout_links.testing.localstripe import LocalStripe
from checkout_links.testing.servers import RedisServer

_KINDS = ("unit", "integration", "system")
_TESTS = Path(__file__).resolve().parent


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse a test module outside the three directories: pytest's testpaths would skip it."""
    strays = sorted(p.name for p in _TESTS.glob("test_*.py"))
    if strays:
        raise pytest.UsageError(
            f"tests/{', tests/'.join(strays)}: move into tests/unit, tests/integration or "
            "tests/system (see README.md, Development)"
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test ``unit``, ``integration`` or ``system`` after the directory it lives in."""
    for item in items:
        path = item.path.resolve()
        kind = path.relative_to(_TESTS).parts[0] if path.is_relative_to(_TESTS) else None
        if kind in _KINDS:
            item.add_marker(kind)


@pytest.fixture
def fake_redis() -> fakeredis.FakeRedis:
    return memory_redis()


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


#: Settings a test may not leave changed on the session's shared redis-server.
_SHARED_SETTINGS = ("maxmemory", "maxmemory-policy", "appendonly", "appendfsync", "save")


@pytest.fixture(scope="session")
def shared_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real redis-server (AOF, appendfsync always) for the whole session."""
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def real_redis(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RedisServer]:
    """A real redis-server (AOF, appendfsync always) on a free loopback port, empty.

    Tests share the session's server, flushed (data, scripts, statistics) before
    each; a test marked ``own_redis`` (it kills, restarts, reconfigures or
    measures the server) gets a private one instead.
    """
    if request.node.get_closest_marker("own_redis"):
        with RedisServer(tmp_path / "redis") as own:
            yield own
        return
    server: RedisServer = request.getfixturevalue("shared_redis")
    if not server.running:  # a test killed it without saying so: serve the next one anyway
        server.start()
    store = server.client()
    try:
        store.flushall()
        store.script_flush()
        store.config_resetstat()
        before = {name: store.config_get(name)[name] for name in _SHARED_SETTINGS}
    finally:
        store.close()
    yield server
    if not server.running:
        return
    store = server.client()
    try:
        after = {name: store.config_get(name)[name] for name in _SHARED_SETTINGS}
        for name, value in before.items():
            if after[name] != value:
                store.config_set(name, value)  # so the next test meets the usual server
    finally:
        store.close()
    changed = sorted(name for name in before if after[name] != before[name])
    assert not changed, f"the test changed {changed} of the shared redis-server: mark it own_redis"


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    """One localstripe (a fake Stripe with its mock Stripe.js) on 127.0.0.1 for the session.

    Tests keep apart by using their own secret key and their own PaymentIntents.
    """
    with LocalStripe(tmp_path_factory.mktemp("localstripe")) as server:
        yield server
