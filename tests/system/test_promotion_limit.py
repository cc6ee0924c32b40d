"""A code limited to 50: 200 concurrent orders, two gunicorns, killed workers, exactly 50.

Run on one redis-server and on a real local Redis Cluster, where the code's
counter and most links' keys sit in different hash slots (on different
masters), so no single script can see both.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask

from checkout_links.core.storage import redis_keys as keys
from checkout_links.testing import BERLIN, add_merchant, link_path, make_app
from checkout_links.testing.cluster import RedisCluster
from checkout_links.testing.realapp import csrf_of, gunicorn_app, kill_workers
from checkout_links.testing.servers import HOST, RedisServer
from checkout_links.web.extensions import services

pytestmark = pytest.mark.slow

LINKS, LIMIT, CODE = 200, 50, "LIMIT50"
TTL_SECONDS = 2.0
LINK = {"products": [{"id": "kit"}], "allow_promotion_codes": True}
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
RUNS: dict[str, dict[str, int]] = {}


@pytest.fixture(scope="module", params=["redis", "cluster"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, Any]]:
    """(kind, CHECKOUT_REDIS_URL, server): a redis-server, or 3 cluster masters."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "redis":
        with RedisServer(tmp / "redis") as server:
            yield "redis", server.url, server
    else:
        with RedisCluster(tmp / "cluster", masters=3, replicas=0) as cluster:
            seeds = ",".join(f"{h}:{p}" for h, p in cluster.startup_nodes)
            yield "cluster", f"redis+cluster://{seeds}/", cluster


def post(port: int, path: str, form: dict[str, str]) -> int | str:
    """POST the form to one instance; the exception's name if the worker died under it."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("POST", path, body=urlencode(form), headers=FORM_HEADERS)
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__
    finally:
        conn.close()


def page_csrf(port: int, path: str) -> str:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        assert response.status == 200
        return csrf_of(response.read().decode())
    finally:
        conn.close()


def orders_of(app: Flask, auth: dict[str, str]) -> list[dict[str, Any]]:
    web, items, cursor = app.test_client(), [], ""
    while True:
        page = web.get(f"/api/v1/orders?limit=100&cursor={cursor}", headers=auth).get_json()
        items += page["items"]
        if not page["next_cursor"]:
            return items
        cursor = page["next_cursor"]


def test_two_hundred_concurrent_orders_redeem_a_code_limited_to_fifty_exactly_fifty_times(
    backend: tuple[str, str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """200 links, one code limited to 50, two gunicorns with workers killed: never more than 50
    orders with the code, exactly 50 once the dead requests are sent again, and every other
    link still places its order without the code."""
    kind, url, server = backend
    app = make_app(None, redis_url=url, rate_limits_enabled=False)
    auth = {"Authorization": f"Bearer {add_merchant(app, 'promo')}"}
    web = app.test_client()
    body = {"percent": "10", "max_redemptions": LIMIT}
    assert web.put(f"/api/v1/promotions/{CODE}", json=body, headers=auth).status_code == 201
    paths, ids = [], []
    for _ in range(LINKS):
        issued = web.post("/api/v1/links", json=LINK, headers=auth)
        assert issued.status_code == 201
        paths.append(link_path(issued.get_json()["url"]))
        ids.append(issued.get_json()["id"])

    def completed(i: int) -> bool:
        state = web.get(f"/api/v1/links/{ids[i]}", headers=auth).get_json()
        return bool(state["status"] == "completed")

    with app.app_context():
        rands = [services().codec.decode(p[3:]).link_rand for p in paths]
    if kind == "cluster":
        with server.nodes[0].client() as node:

            def slot(key: str) -> int:
                return int(node.execute_command("CLUSTER", "KEYSLOT", key))

            promo_slot = slot(keys.promotion("promo", CODE, "held"))
            apart = sum(slot(keys.link_mark(r)) != promo_slot for r in rands)
        assert apart == LINKS, "every link's keys are in another slot than the code's"

    tmp = tmp_path_factory.mktemp(f"guns-{kind}")
    env = {"CHECKOUT_PROMOTION_RESERVATION_SECONDS": str(TTL_SECONDS)}
    guns = [gunicorn_app(tmp, url, workers=2, env=env, name=f"app{n}") for n in range(2)]
    try:
        for gun in guns:
            gun.start()
        for gun in guns:
            gun.wait_http("/readyz", timeout=60)
        ports = [gun.port for gun in guns]
        forms = [
            {
                "csrf_token": page_csrf(ports[i % 2], path),
                "email": f"c{i}@example.com",
                **BERLIN,  # the kit is physical
                "promo_code": CODE.lower(),
                "action": "place",
            }
            for i, path in enumerate(paths)
        ]
        done, kills = threading.Event(), list[int]()
        chaos = threading.Thread(
            target=kill_workers,
            args=(guns, done, kills),
            kwargs={"seed": 7, "every": 0.05, "most": 8},
        )
        gate = threading.Barrier(50)

        def first(i: int) -> int | str:
            if i < 50:
                gate.wait(timeout=30)
            return post(ports[(i + 1) % 2], paths[i], forms[i])

        chaos.start()
        try:
            with ThreadPoolExecutor(50) as pool:
                results = list(pool.map(first, range(LINKS)))
        finally:
            done.set()
            chaos.join()
        wave = Counter(str(r) for r in results)
        assert kills, "no worker was killed"
        assert wave["303"] <= LIMIT, wave
        # A request answered at all got its order or "used up"; the rest died with a worker.
        assert {k for k in wave if k.isdigit()} <= {"303", "422"}, wave
        for gun in guns:
            gun.wait_http("/readyz", timeout=30)
        with_code = [o for o in orders_of(app, auth) if o["promotion_code"] == CODE]
        assert len(with_code) <= LIMIT
        # Customers send their form again once a crashed request's reservation ran out.
        retries = 0
        while len(with_code) < LIMIT and retries < 10:
            time.sleep(TTL_SECONDS + 0.5)
            retries += 1
            for i in [i for i in range(LINKS) if not completed(i)]:
                results[i] = post(ports[0], paths[i], forms[i])
            with_code = [o for o in orders_of(app, auth) if o["promotion_code"] == CODE]
            assert len(with_code) <= LIMIT
        assert len(with_code) == LIMIT, Counter(str(r) for r in results)
        # An order whose worker died before confirming is counted once its reservation
        # runs out (the read settles it); until then it holds its redemption.
        time.sleep(TTL_SECONDS + 0.5)
        promotion = web.get(f"/api/v1/promotions/{CODE}", headers=auth).get_json()
        assert promotion["redemptions"] == LIMIT
        # Every link refused the code is untouched and places its order without it.
        without = 0
        for i, path in enumerate(paths):
            if not completed(i):
                form = {**forms[i], "promo_code": ""}
                assert post(ports[i % 2], path, form) == 303, i
                without += 1
        orders = orders_of(app, auth)
        assert len(orders) == LINKS
        assert Counter(o["promotion_code"] for o in orders) == {CODE: LIMIT, None: LINKS - LIMIT}
        assert {o["total"] for o in orders if o["promotion_code"]} == {"44.91"}
        RUNS[kind] = {
            "first_wave_303": wave["303"],
            "first_wave_422": wave["422"],
            "first_wave_died": LINKS - wave["303"] - wave["422"],
            "kills": len(kills),
            "retry_rounds": retries,
            "orders_with_code": len(with_code),
            "orders_without_code": without,
        }
        print(f"\npromotion limit run on {kind}: {RUNS[kind]}")
    finally:
        for gun in guns:
            gun.stop()
