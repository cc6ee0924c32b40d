"""The merchant API's rate limit on real gunicorn and redis-server: who pays for a request.

A merchant's budget is spent only by requests whose key verified; failed
authentication is counted per client address, so knowing a key id (it is in
every key, and in logs) does not let anyone lock a merchant out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from checkout_links.testing import add_merchant, make_app
from checkout_links.testing.realapp import gunicorn_app, http_client
from checkout_links.testing.servers import HOST, ProcessServer, RedisServer

LIMIT = 5
#: A second loopback address: requests from it come from another client.
OTHER_ADDR = "127.0.0.2"


@dataclass
class Real:
    app: ProcessServer
    redis: RedisServer
    counter: list[int]

    def merchant(self) -> str:
        """A new merchant with its own key (each test gets fresh buckets)."""
        self.counter[0] += 1
        return add_merchant(make_app(None, redis_url=self.redis.url), f"rl{self.counter[0]}")


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Real]:
    """redis-server and one gunicorn (deploy/gunicorn.conf.py) with rate limits on."""
    tmp = tmp_path_factory.mktemp("ratelimit")
    with RedisServer(tmp / "redis") as redis_server:
        env = {"CHECKOUT_RATE_LIMITS_ENABLED": "true", "CHECKOUT_RATE_LIMIT_API": f"{LIMIT}/minute"}
        server = gunicorn_app(tmp, redis_server.url, workers=1, env=env)
        with server:
            server.wait_http("/readyz", timeout=60)
            yield Real(server, redis_server, [0])


def client_from(real: Real, address: str = HOST) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return http_client(real.app.url, transport=transport)


def wrong_secret(api_key: str) -> str:
    """The same key id with another secret part."""
    prefix, key_id, _ = api_key.split("_", 2)
    return f"{prefix}_{key_id}_{'x' * 43}"


def status(web: httpx.Client, api_key: str) -> int:
    return web.get("/api/v1/products", headers={"Authorization": f"Bearer {api_key}"}).status_code


def test_wrong_secrets_with_a_known_key_id_do_not_use_up_the_merchant(real: Real) -> None:
    """Failures with the merchant's key id end in 429 for their sender; the real key still works."""
    api_key = real.merchant()
    with client_from(real, OTHER_ADDR) as attacker:
        answers = [status(attacker, wrong_secret(api_key)) for _ in range(LIMIT + 1)]
    assert answers == [401] * LIMIT + [429]
    with client_from(real) as merchant:
        assert [status(merchant, api_key) for _ in range(LIMIT)] == [200] * LIMIT


def test_failed_authentication_is_counted_per_address(real: Real) -> None:
    """One address over its failure budget gets 429; another address still gets a plain 401."""
    api_key = real.merchant()
    bogus = wrong_secret(api_key)
    with client_from(real, "127.0.0.3") as noisy:
        answers = [status(noisy, bogus) for _ in range(LIMIT + 2)]
    assert answers[-1] == 429
    with client_from(real, "127.0.0.4") as quiet:
        assert status(quiet, bogus) == 401


def test_a_merchants_own_requests_are_still_limited(real: Real) -> None:
    """Verified requests beyond the limit answer 429 with Retry-After, from any address."""
    api_key = real.merchant()
    auth = {"Authorization": f"Bearer {api_key}"}
    with client_from(real) as one, client_from(real, "127.0.0.5") as two:
        answers = [
            (one if i % 2 else two).get("/api/v1/products", headers=auth) for i in range(LIMIT + 1)
        ]
    assert [a.status_code for a in answers] == [200] * LIMIT + [429]
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert answers[-1].headers["content-type"] == "application/problem+json"
