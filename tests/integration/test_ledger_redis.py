"""The ledger's promises on a real redis-server: exclusive spends, durability, outages."""

from __future__ import annotations

import logging
import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from checkout_links.core.links.ids import link_rand_of_order, order_id_for
from checkout_links.core.storage import redis_keys as keys
from checkout_links.testing import BERLIN, add_merchant, csrf_of, link_path, make_app
from checkout_links.testing.servers import RedisServer
from checkout_links.web.extensions import services

# With a billing address: the kit is physical.
CUSTOMER = {"email": "ana@example.com", "last_name": "Ruiz", **BERLIN}


def redis_app(server: RedisServer) -> Flask:
    """The app over a plain client of ``server``, configured as production would be."""
    client = redis.Redis.from_url(server.url)
    return make_app(client, redis_url=server.url, rate_limits_enabled=False)


def issue(client: FlaskClient, auth: dict[str, str], **extra: Any) -> dict[str, Any]:
    body = {"products": [{"id": "kit", "quantity": 2}], "customer": CUSTOMER, **extra}
    response = client.post("/api/v1/links", json=body, headers=auth)
    assert response.status_code == 201, response.get_data(as_text=True)
    link: dict[str, Any] = response.get_json()
    return link


def form_for(client: FlaskClient, link: dict[str, Any]) -> dict[str, str]:
    """The cart page's form as a browser sends it, pre-filled values included."""
    page = client.get(link_path(link["url"]))
    assert page.status_code == 200
    return {**CUSTOMER, "csrf_token": csrf_of(page.get_data(as_text=True))}


def link_rand(app: Flask, link_id: str) -> bytes:
    with app.app_context():
        rand, _expires = services().links.link_ids.parse(link_id, "acme")
    return rand


def test_spend_and_revoke_racing_on_200_links_never_both_win(real_redis: RedisServer) -> None:
    """A spend and a revoke fired together: each link ends completed with its order xor revoked."""
    app = redis_app(real_redis)
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    setup = app.test_client()
    links = [issue(setup, auth) for _ in range(200)]
    forms = [form_for(setup, link) for link in links]
    posted: dict[int, int] = {}
    revoked: dict[int, int] = {}
    jitter = random.Random(7)

    def spend(i: int, gate: threading.Barrier) -> None:
        client = app.test_client()
        gate.wait(timeout=10)
        posted[i] = client.post(link_path(links[i]["url"]), data=forms[i]).status_code

    def revoke(i: int, gate: threading.Barrier, delay: float) -> None:
        client = app.test_client()
        gate.wait(timeout=10)
        # The spend does more work in Python before it reaches Redis; a small random
        # head start for it makes both orders of arrival happen across the 200 links.
        time.sleep(delay)
        url = f"/api/v1/links/{links[i]['id']}/revoke"
        revoked[i] = client.post(url, headers=auth).status_code

    for start in range(0, len(links), 25):
        threads = []
        for i in range(start, start + 25):
            gate = threading.Barrier(2)
            delay = jitter.uniform(0, 0.004)
            threads.append(threading.Thread(target=spend, args=(i, gate)))
            threads.append(threading.Thread(target=revoke, args=(i, gate, delay)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert len(posted) == len(revoked) == len(links)
    store = real_redis.client()
    completed = 0
    for i, link in enumerate(links):
        rand = link_rand(app, link["id"])
        order_id = order_id_for(rand)
        status = setup.get(f"/api/v1/links/{link['id']}", headers=auth).get_json()
        order = setup.get(f"/api/v1/orders/{order_id}", headers=auth)
        mark = store.get(keys.link_mark(rand))
        if posted[i] == 303:
            completed += 1
            assert revoked[i] == 409, i
            assert status == {"id": link["id"], "status": "completed", "order_id": order_id}
            assert order.status_code == 200
            assert order.get_json()["link_id"] == link["id"]
            assert mark is not None
            assert mark.startswith(f"o|{order_id}|")
        else:
            assert (posted[i], revoked[i]) == (410, 200), i
            assert status == {"id": link["id"], "status": "revoked"}
            assert order.status_code == 404
            assert mark == "r"
    index = sum(store.zcard(keys.order_index(part, "acme")) for part in range(keys.INDEX_PARTS))
    assert index == completed, "exactly the completed links have an indexed order"
    events = sum(store.xlen(keys.outbox(shard)) for shard in range(keys.DEFAULT_SHARDS))
    assert events == completed, "exactly one order.created event per order"
    store.close()
    print(f"spend/revoke race: {completed} spends won, {len(links) - completed} revokes won")


@pytest.mark.own_redis
def test_a_spent_link_survives_a_redis_crash_and_an_outage_leaves_links_usable(
    real_redis: RedisServer,
) -> None:
    """After SIGKILL and restart a spent link stays spent; a POST during the outage is 503 only."""
    app = redis_app(real_redis)
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    client = app.test_client()
    spent, waiting = issue(client, auth), issue(client, auth)
    placed = client.post(link_path(spent["url"]), data=form_for(client, spent))
    assert placed.status_code == 303
    order_id = client.get(f"/api/v1/links/{spent['id']}", headers=auth).get_json()["order_id"]
    form = form_for(client, waiting)
    assert client.get("/readyz").status_code == 200

    real_redis.kill()  # SIGKILL: only what appendfsync=always wrote survives

    down = client.post(link_path(waiting["url"]), data=form)
    assert down.status_code == 503
    assert int(down.headers["Retry-After"]) >= 1
    assert down.headers["Cache-Control"] == "no-store"
    assert down.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in down.headers["Content-Security-Policy"]
    assert "Your link still works" in down.get_data(as_text=True)
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.mimetype == "application/problem+json"
    assert not_ready.get_json()["redis"] == "unreachable"

    real_redis.restart()

    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ready", "redis": "ok", "warnings": []}
    gone = client.get(link_path(spent["url"]))
    assert gone.status_code == 410
    assert "already placed" in gone.get_data(as_text=True)
    order = client.get(f"/api/v1/orders/{order_id}", headers=auth)
    assert order.status_code == 200
    assert order.get_json()["link_id"] == spent["id"]
    status = client.get(f"/api/v1/links/{waiting['id']}", headers=auth).get_json()
    assert status["status"] == "open", "the POST that met the outage spent nothing"
    retried = client.post(link_path(waiting["url"]), data=form)
    assert retried.status_code == 303, "the same form works once Redis is back"
    status = client.get(f"/api/v1/links/{waiting['id']}", headers=auth).get_json()
    assert status["status"] == "completed"
    assert link_rand_of_order(status["order_id"]) == link_rand(app, waiting["id"])
    assert client.get(f"/api/v1/orders/{status['order_id']}", headers=auth).status_code == 200


def test_unsafe_redis_settings_are_reported_at_start_up_and_by_readyz(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Without AOF and with an evicting policy, create_app warns loudly and /readyz lists both."""
    server = RedisServer(tmp_path / "unsafe", appendonly=False, maxmemory_policy="allkeys-lru")
    with server:
        with caplog.at_level(logging.WARNING, logger="checkout_links.core.services"):
            app = redis_app(server)
        logged = [
            r.getMessage() for r in caplog.records if r.name == "checkout_links.core.services"
        ]
        unsafe = [msg for msg in logged if msg.startswith("UNSAFE REDIS SETTING")]
        assert any("maxmemory-policy" in msg and "allkeys-lru" in msg for msg in unsafe), logged
        assert any("appendonly" in msg for msg in unsafe), logged
        assert all(
            r.levelno >= logging.WARNING for r in caplog.records if r.name.endswith("core.services")
        )
        ready = app.test_client().get("/readyz")
        assert ready.status_code == 200
        warnings = ready.get_json()["warnings"]
        assert len(warnings) == 2
        assert any("maxmemory-policy" in w for w in warnings)
        assert any("appendonly" in w for w in warnings)
