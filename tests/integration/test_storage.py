"""The storage package's promise: a Redis outage surfaces as StoreUnavailable, nothing else."""

from __future__ import annotations

from typing import Any

import fakeredis
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from checkout_links.core.errors import CheckoutError, StoreUnavailable
from checkout_links.core.storage.connection import connect, guarded
from checkout_links.testing.servers import HOST, free_port


@pytest.fixture
def down() -> redis.Redis:
    """A client of :func:`connect` for a loopback port nothing listens on."""
    return connect(f"redis://{HOST}:{free_port()}/0")


def test_a_command_on_a_down_store_raises_store_unavailable(down: redis.Redis) -> None:
    """A command against an unreachable Redis raises StoreUnavailable, chained to Redis's error."""
    with pytest.raises(StoreUnavailable) as caught:
        down.get("k")
    assert isinstance(caught.value, CheckoutError)
    assert isinstance(caught.value.__cause__, redis.exceptions.ConnectionError)
    assert caught.value.cause_name == "ConnectionError"
    assert caught.value.status == 503
    assert int(caught.value.headers["Retry-After"]) > 0


def test_a_pipeline_on_a_down_store_raises_store_unavailable(down: redis.Redis) -> None:
    """A pipeline (plain or MULTI) executed against an unreachable Redis raises StoreUnavailable."""
    for transaction in (False, True):
        pipe = down.pipeline(transaction=transaction)
        pipe.set("k", "v")
        with pytest.raises(StoreUnavailable):
            pipe.execute()


def test_a_script_on_a_down_store_raises_store_unavailable(down: redis.Redis) -> None:
    """A registered Lua script run against an unreachable Redis raises StoreUnavailable."""
    script = down.register_script("return 1")
    with pytest.raises(StoreUnavailable):
        script(keys=[], args=[])


def test_a_client_built_elsewhere_is_guarded_on_its_own_connections() -> None:
    """guarded() wraps a foreign client: its outages become StoreUnavailable, its data is shared."""
    fake = fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2)))
    fake.set("k", "v")
    assert guarded(fake).get("k") == b"v"
    raw = redis.Redis(port=free_port(), socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    with pytest.raises(StoreUnavailable):
        guarded(raw).ping()
    store = guarded(raw)
    assert guarded(store) is store


def test_a_command_error_is_not_an_outage() -> None:
    """A command Redis refuses (WRONGTYPE) is raised as Redis's own error, not StoreUnavailable."""
    client = guarded(fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2))))
    client.set("k", "v")
    with pytest.raises(redis.exceptions.ResponseError) as caught:
        client.lpush("k", "x")
    assert not isinstance(caught.value, StoreUnavailable)


@pytest.mark.own_redis  # it lowers maxmemory: the session's shared server must not keep that
def test_a_store_out_of_memory_raises_store_unavailable(real_redis: Any) -> None:
    """A write refused for maxmemory (OOM) raises StoreUnavailable saying the store is full."""
    client = connect(real_redis.url)
    client.set("filler", "x" * 10_000)
    client.config_set("maxmemory", 1)
    client.config_set("maxmemory-policy", "noeviction")
    with pytest.raises(StoreUnavailable) as caught:
        client.set("k", "v")
    assert "out of memory" in caught.value.detail
    assert caught.value.cause_name == "OutOfMemoryError"
