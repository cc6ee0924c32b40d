"""The service on Redis Sentinel (1 master, 1 replica, 3 Sentinels), through a master failover."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout_links.testing import BERLIN, add_merchant, csrf_of, link_path, make_app
from checkout_links.testing.sentinel import RedisSentinelSetup

pytestmark = pytest.mark.slow

LINK = {"products": [{"id": "kit"}], "customer": {"email": "ana@example.com"}}
#: What a customer or merchant may see while the master is gone: never a 500.
DURING_FAILOVER = {200, 201, 303, 503}


@pytest.fixture(scope="module")
def sentinel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisSentinelSetup]:
    with RedisSentinelSetup(Path(tmp_path_factory.mktemp("sentinel"))) as setup:
        yield setup


def place(web: FlaskClient, api_key: str) -> tuple[int, int, int, str | None]:
    """Issue a link, open it and submit it; the three statuses and the order id."""
    auth = {"Authorization": f"Bearer {api_key}"}
    issued = web.post("/api/v1/links", json=LINK, headers=auth)
    if issued.status_code != 201:
        return issued.status_code, 0, 0, None
    page = web.get(link_path(issued.json["url"]))
    if page.status_code != 200:
        return 201, page.status_code, 0, None
    form = {"csrf_token": csrf_of(page.text), "email": "ana@example.com", **BERLIN}
    placed = web.post(link_path(issued.json["url"]), data=form)
    if placed.status_code != 303:
        return 201, 200, placed.status_code, None
    status = web.get(f"/api/v1/links/{issued.json['id']}", headers=auth)
    return 201, 200, 303, status.json["order_id"] if status.status_code == 200 else None


def test_rate_limits_count_on_the_sentinel_master(sentinel: RedisSentinelSetup) -> None:
    """With a redis+sentinel:// URL (service name and db) the API-key limit is enforced (429)."""
    app = make_app(None, redis_url=sentinel.url, rate_limit_api="2/minute")
    auth = {"Authorization": f"Bearer {add_merchant(app, 'limited')}"}
    web = app.test_client()
    statuses = [web.get("/api/v1/products", headers=auth).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_orders_resume_on_the_promoted_replica_after_the_master_dies(
    sentinel: RedisSentinelSetup,
) -> None:
    """After the master dies the app answers 503 (never 500), then orders on the new master."""
    app: Flask = make_app(None, redis_url=sentinel.url, rate_limits_enabled=False)
    api_key = add_merchant(app, "failover")
    web = app.test_client()
    *statuses, first_order = place(web, api_key)
    assert statuses == [201, 200, 303]
    with sentinel.master.client() as master:
        # Replication is asynchronous: only a write the replica has is promised to survive.
        assert master.execute_command("WAIT", 1, 5000) == 1

    sentinel.kill_master()
    seen: set[int] = set()
    deadline = time.monotonic() + 60
    while True:
        *statuses, order_id = place(web, api_key)
        seen.update(s for s in statuses if s)
        assert seen <= DURING_FAILOVER, seen
        if order_id is not None:
            break
        assert time.monotonic() < deadline, f"no order placed after the failover; saw {seen}"
        time.sleep(0.2)

    assert sentinel.wait_for_failover(timeout=30)[1] == sentinel.replica.port
    auth = {"Authorization": f"Bearer {api_key}"}
    assert web.get(f"/api/v1/orders/{first_order}", headers=auth).status_code == 200
    assert web.get(f"/api/v1/orders/{order_id}", headers=auth).status_code == 200
    assert web.get("/readyz").status_code == 200
