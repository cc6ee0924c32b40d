"""Exactly-once orders across processes: two real gunicorns on one real redis-server."""

from __future__ import annotations

import base64
import http.client
import json
import random
import re
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import redis
from flask import Flask

from checkout_links.core.links.ids import order_id_for
from checkout_links.core.storage import redis_keys as keys
from checkout_links.testing import BERLIN, add_merchant, link_path, make_app
from checkout_links.testing.realapp import kill_workers
from checkout_links.testing.servers import HOST, ProcessServer, RedisServer, free_port
from checkout_links.web.extensions import services

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SECRET = "concurrency-test-secret-" + "k" * 24
ROUNDS = 20
POSTS_PER_ROUND = 50
#: With a billing address: the kit is physical.
FORM = {"email": "ana@example.com", "last_name": "Ruiz", **BERLIN}
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}

#: Filled by the tests and printed at the end, for the report on the run.
TOTALS: Counter[str] = Counter()


@dataclass
class Stack:
    redis: RedisServer
    app: Flask
    auth: dict[str, str]
    guns: list[ProcessServer] = field(default_factory=list)

    def link_rand(self, link_id: str) -> bytes:
        with self.app.app_context():
            rand, _expires = services().links.link_ids.parse(link_id, "acme")
        return rand


def call(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request over its own connection, redirects not followed."""
    conn = http.client.HTTPConnection(HOST, port, timeout=20)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def api(stack: Stack, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    headers = {**stack.auth, "Content-Type": "application/json"}
    data = json.dumps(body).encode() if body is not None else None
    status, _, raw = call(stack.guns[0].port, method, "/api/v1" + path, data, headers)
    return status, json.loads(raw) if raw else None


def issue(stack: Stack) -> dict[str, Any]:
    status, link = api(stack, "POST", "/links", {"products": [{"id": "kit"}], "customer": FORM})
    assert status == 201, link
    assert isinstance(link, dict)
    return link


def csrf_tokens(port: int, path: str, count: int) -> list[str]:
    """``count`` cart page loads from one server, each page's CSRF token."""
    tokens = []
    conn = http.client.HTTPConnection(HOST, port, timeout=20)
    try:
        for _ in range(count):
            conn.request("GET", path)
            response = conn.getresponse()
            html = response.read().decode()
            assert response.status == 200, html
            match = re.search(r'name="csrf_token" value="([^"]+)"', html)
            assert match
            tokens.append(match.group(1))
    finally:
        conn.close()
    return tokens


def encode_form(csrf_token: str) -> bytes:
    return urlencode({**FORM, "csrf_token": csrf_token}).encode()


def all_orders(stack: Stack) -> list[dict[str, Any]]:
    orders: list[dict[str, Any]] = []
    cursor = ""
    while True:
        status, page = api(stack, "GET", f"/orders?limit=100{cursor}")
        assert status == 200, page
        orders.extend(page["items"])
        if page["next_cursor"] is None:
            return orders
        cursor = "&cursor=" + page["next_cursor"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A redis-server, a merchant with the test catalog, and two gunicorns of two workers."""
    tmp = tmp_path_factory.mktemp("stack")
    server = RedisServer(tmp / "redis")
    server.start()
    guns: list[ProcessServer] = []
    try:
        app = make_app(redis.Redis.from_url(server.url), redis_url=server.url, secret_keys=SECRET)
        auth = {"Authorization": f"Bearer {add_merchant(app)}"}
        for i in range(2):
            port = free_port()
            env = {
                "CHECKOUT_REDIS_URL": server.url,
                "CHECKOUT_SECRET_KEYS": SECRET,
                "CHECKOUT_BASE_URL": f"http://{HOST}:{port}",
                "CHECKOUT_BIND": f"{HOST}:{port}",
                "CHECKOUT_RATE_LIMITS_ENABLED": "false",
                "GUNICORN_WORKERS": "2",
                "GUNICORN_THREADS": "4",
                "GUNICORN_LOGLEVEL": "warning",
                "GUNICORN_GRACEFUL_TIMEOUT": "3",
            }
            argv = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"]
            log = tmp / f"gunicorn-{i}.log"
            guns.append(ProcessServer(argv, port=port, log_path=log, env=env, cwd=REPO))
        for gun in guns:
            gun.start()
        for gun in guns:
            gun.wait_http("/readyz", timeout=60)
        yield Stack(server, app, auth, guns)
    finally:
        for gun in guns:
            gun.stop()
        server.stop()
    print(f"\nconcurrency totals: {dict(TOTALS)}")


def test_fifty_concurrent_posts_on_two_servers_place_exactly_one_order(stack: Stack) -> None:
    """Each of 20 rounds: 50 simultaneous forms on two gunicorns give one 303, one order."""
    ports = [gun.port for gun in stack.guns]
    for round_no in range(ROUNDS):
        before = len(all_orders(stack))
        link = issue(stack)
        path = link_path(link["url"])
        tokens = [t for port in ports for t in csrf_tokens(port, path, POSTS_PER_ROUND // 2)]
        assert len(set(tokens)) == POSTS_PER_ROUND, "every form has its own request id"
        gate = threading.Barrier(POSTS_PER_ROUND)
        statuses: list[int] = []

        def post(i: int, token: str, path: str = path, gate: threading.Barrier = gate) -> int:
            conn = http.client.HTTPConnection(HOST, ports[i % 2], timeout=30)
            try:
                conn.connect()
                gate.wait(timeout=30)
                conn.request("POST", path, body=encode_form(token), headers=FORM_HEADERS)
                response = conn.getresponse()
                response.read()
                return response.status
            finally:
                conn.close()

        with ThreadPoolExecutor(POSTS_PER_ROUND) as pool:
            statuses = list(pool.map(post, range(POSTS_PER_ROUND), tokens))
        counts = Counter(statuses)
        TOTALS.update({f"round_{code}": n for code, n in counts.items()})
        assert counts[303] == 1, (round_no, counts)
        assert counts[409] + counts[410] == POSTS_PER_ROUND - 1, (round_no, counts)
        orders = all_orders(stack)
        assert len(orders) == before + 1, round_no
        mine = [o for o in orders if o["link_id"] == link["id"]]
        assert len(mine) == 1
        _, state = api(stack, "GET", f"/links/{link['id']}")
        assert state == {"id": link["id"], "status": "completed", "order_id": mine[0]["id"]}
    TOTALS["rounds"] = ROUNDS


def test_killing_workers_while_placing_orders_never_splits_a_link_from_its_order(
    stack: Stack,
) -> None:
    """With workers SIGKILLed mid-order, a link is completed exactly when its order exists."""
    links = [issue(stack) for _ in range(100)]
    jobs = []
    for i, link in enumerate(links):
        path = link_path(link["url"])
        for j, token in enumerate(csrf_tokens(stack.guns[(i + 1) % 2].port, path, 2)):
            jobs.append((i, stack.guns[(i + j) % 2].port, path, token))
    random.Random(11).shuffle(jobs)
    results: dict[tuple[int, str], int | str] = {}
    done = threading.Event()
    kills: list[int] = []

    def post(job: tuple[int, int, str, str]) -> None:
        i, port, path, token = job
        try:
            status, _, _ = call(port, "POST", path, encode_form(token), FORM_HEADERS)
            results[(i, token)] = status
        except (OSError, http.client.HTTPException) as exc:
            results[(i, token)] = type(exc).__name__

    chaos = threading.Thread(
        target=kill_workers,
        args=(stack.guns, done, kills),
        kwargs={"seed": 5, "every": 0.04, "most": 12},
    )
    chaos.start()
    try:
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(post, jobs))
    finally:
        done.set()
        chaos.join()
    assert kills, "no worker was killed"
    for gun in stack.guns:
        gun.wait_http("/readyz", timeout=30)
    outcomes = Counter(str(v) for v in results.values())
    TOTALS.update({f"chaos_{k}": n for k, n in outcomes.items()})
    TOTALS["chaos_kills"] = len(kills)

    def check(replayed: bool) -> int:
        store = stack.redis.client()
        completed = 0
        orders = {o["link_id"]: o for o in all_orders(stack)}
        for i, link in enumerate(links):
            rand = stack.link_rand(link["id"])
            _, state = api(stack, "GET", f"/links/{link['id']}")
            order_status, order = api(stack, "GET", f"/orders/{order_id_for(rand)}")
            mark = store.get(keys.link_mark(rand))
            has_order = store.exists(keys.order(rand)) == 1
            if state["status"] == "completed":
                completed += 1
                assert order_status == 200, (i, state)
                assert order["link_id"] == link["id"]
                assert state["order_id"] == order["id"]
                assert orders[link["id"]]["id"] == order["id"]
                assert mark is not None
                assert mark.startswith(f"o|{order['id']}|")
                assert has_order
            else:
                assert state["status"] == "open", (i, state)
                assert order_status == 404, i
                assert mark is None
                assert not has_order
                assert link["id"] not in orders
                assert not replayed, "after the replays every link has its order"
            mine = [v for (k, _), v in results.items() if k == i]
            if 303 in mine or 409 in mine:
                assert state["status"] == "completed", (i, mine)
        store.close()
        return completed

    completed = check(replayed=False)
    TOTALS["chaos_completed_before_replay"] = completed
    # A browser whose POST died with the worker sends the same form again: its own
    # earlier spend is recognised (303), another form's is a 409, an open link is placed.
    store = stack.redis.client()
    replays: Counter[str] = Counter()
    for (i, token), first in list(results.items()):
        if isinstance(first, str):
            path = link_path(links[i]["url"])
            mark = store.get(keys.link_mark(stack.link_rand(links[i]["id"])))
            owner = mark.split("|", 2)[2] if mark else None
            expected = 303 if owner in (None, nonce_of(token)) else 409
            status, _, _ = call(stack.guns[0].port, "POST", path, encode_form(token), FORM_HEADERS)
            assert status == expected, (i, first, mark, status)
            results[(i, token)] = status
            if owner is None:
                replays["open"] += 1
            else:
                replays["own_spend" if owner == nonce_of(token) else "other_form"] += 1
    store.close()
    TOTALS.update({f"chaos_replay_{k}": n for k, n in replays.items()})
    assert check(replayed=True) == len(links)


def nonce_of(csrf_token: str) -> str:
    """The request id a CSRF token carries: its 12-byte nonce (see tokens.FormTokens)."""
    blob = base64.urlsafe_b64decode(csrf_token + "=" * (-len(csrf_token) % 4))
    return base64.urlsafe_b64encode(blob[:12]).rstrip(b"=").decode()
