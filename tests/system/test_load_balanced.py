"""Three gunicorn instances behind the shipped nginx.conf, on one real redis-server."""

from __future__ import annotations

import json
import re
import secrets
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from checkout_links.core.config import Settings
from checkout_links.testing import BERLIN, add_merchant, make_app
from checkout_links.testing.realapp import (
    balanced,
    http_client,
    issue_link,
    path_of,
    race_one_link,
    sample,
    scrape,
)
from checkout_links.testing.servers import ProcessServer, RedisServer, wait_until

pytestmark = pytest.mark.slow

#: A second loopback address: a client connecting from it is told apart from nginx (127.0.0.1).
CLIENT_ADDR = "127.0.0.2"


@dataclass
class Stack:
    nginx: ProcessServer
    apps: list[ProcessServer]
    api_key: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """redis-server, three 2-worker gunicorns with one secret, and nginx balancing over them."""
    tmp = tmp_path_factory.mktemp("lb")
    with RedisServer(tmp / "redis") as redis_server:
        api_key = add_merchant(make_app(None, redis_url=redis_server.url), "lb")
        env = {"CHECKOUT_PROXY_HOPS": "1"}
        with balanced(tmp, redis_server.url, instances=3, env=env) as (nginx, apps):
            yield Stack(nginx, apps, api_key)


def access_records(server: ProcessServer) -> list[dict[str, Any]]:
    """The JSON access-log records gunicorn wrote so far."""
    lines = server.log_text().splitlines()
    return [
        json.loads(line) for line in lines if line.startswith('{"ts"') and "gunicorn.access" in line
    ]


def test_one_order_per_link_through_the_balancer(stack: Stack) -> None:
    """Fifty simultaneous submissions via nginx over 3 instances yield one 303 per link."""
    before = []
    for app in stack.apps:
        with http_client(app.url) as direct:
            before.append(
                sample(
                    scrape(direct),
                    "checkout_request_duration_seconds_count",
                    endpoint="checkout.place_order",
                )
            )
    limits = httpx.Limits(max_connections=60, max_keepalive_connections=60)
    with http_client(stack.nginx.url, limits=limits) as web:
        link_ids = []
        for _ in range(10):
            link = issue_link(web, stack.api_key, {"products": [{"id": "kit"}]})
            statuses = race_one_link(web, path_of(link["url"]), 50)
            assert statuses == Counter({303: 1, 409: 49}), statuses
            link_ids.append(link["id"])
        auth = {"Authorization": f"Bearer {stack.api_key}"}
        states = [web.get(f"/api/v1/links/{i}", headers=auth).json() for i in link_ids]
    assert {s["status"] for s in states} == {"completed"}
    assert len({s["order_id"] for s in states}) == 10
    for app, seen_before in zip(stack.apps, before, strict=True):
        with http_client(app.url) as direct:
            seen = sample(
                scrape(direct),
                "checkout_request_duration_seconds_count",
                endpoint="checkout.place_order",
            )
        assert seen - seen_before > 0, f"{app.name} answered no order POST"


def _largest_cart(web: httpx.Client, api_key: str) -> dict[str, Any]:
    """The 100-line link with the longest URL the service still issues (binary search)."""
    # Random text compresses badly, so the token grows with every character.
    pool = [secrets.token_urlsafe(300) for _ in range(100)]

    def attempt(per_line: int, extra: int) -> httpx.Response:
        lines: list[dict[str, Any]] = [
            {"id": "kit", "name": text[:per_line] or "x"} for text in pool
        ]
        lines[0]["description"] = pool[0][:extra] or "x"
        return web.post(
            "/api/v1/links",
            json={"products": lines, "customer": {"email": "big@example.com"}},
            headers={"Authorization": f"Bearer {api_key}"},
        )

    def largest(issue: Any, low: int, high: int) -> tuple[int, httpx.Response]:
        """The largest n in [low, high) that issues, and that 201 response itself.

        The token's length varies by a character or so between issues of the
        same cart (a fresh random id and timestamps, compressed), so the 201
        is kept rather than asked for again.
        """
        best = issue(low)
        assert best.status_code == 201
        assert issue(high).status_code == 422
        while high - low > 1:
            mid = (low + high) // 2
            response = issue(mid)
            if response.status_code == 201:
                low, best = mid, response
            else:
                high = mid
        return low, best

    per_line, _ = largest(lambda n: attempt(n, 0), 0, 200)
    _, response = largest(lambda n: attempt(per_line, n), 0, 300)
    link: dict[str, Any] = response.json()
    assert len(link["lines"]) == 100
    return link


def test_the_longest_link_opens_and_places_through_nginx_and_gunicorn(stack: Stack) -> None:
    """The largest 100-line link the service issues opens (200) and places (303) via nginx."""
    with http_client(stack.nginx.url) as web:
        link = _largest_cart(web, stack.api_key)
        path = path_of(link["url"])
        # The search ends within a few characters of the limit the service enforces.
        assert len(path) > Settings().max_link_path - 48
        page = web.get(path)
        assert page.status_code == 200
        assert page.text.count('<li class="line"') == 100  # every line is on the page
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        placed = web.post(
            path, data={"csrf_token": token.group(1), "email": "big@example.com", **BERLIN}
        )
    assert placed.status_code == 303


def _through_nginx_from(stack: Stack, address: str) -> httpx.Client:
    """A client of nginx whose connections come from ``address`` (a loopback alias)."""
    transport = httpx.HTTPTransport(local_address=address)
    return http_client(stack.nginx.url, transport=transport)


def _access_record(stack: Stack, request_id: str) -> dict[str, Any]:
    def records() -> list[dict[str, Any]]:
        every = [r for app in stack.apps for r in access_records(app)]
        return [r for r in every if r["request_id"] == request_id]

    # gunicorn writes the access line after the response, so give it a moment to appear.
    wait_until(f"an access record with request id {request_id}", lambda: bool(records()), 10.0)
    found = records()
    assert len(found) == 1, f"expected one access record with request id {request_id}"
    return found[0]


def test_nginx_request_id_reaches_the_app_and_comes_back_once(stack: Stack) -> None:
    """nginx's request id (its own or a well-formed caller's) reaches gunicorn, echoed once."""
    with http_client(stack.nginx.url) as web:
        generated = web.get("/healthz")
        kept = web.get("/healthz", headers={"X-Request-ID": "trace-0042-checkout"})
        replaced = web.get("/healthz", headers={"X-Request-ID": "bad id\twith tab"})
        too_long = web.get("/healthz", headers={"X-Request-ID": "a" * 65})
    nginx_id = generated.headers.get_list("x-request-id")
    assert len(nginx_id) == 1
    assert re.fullmatch(r"[0-9a-f]{32}", nginx_id[0])
    assert _access_record(stack, nginx_id[0])["path"] == "/healthz"
    assert kept.headers.get_list("x-request-id") == ["trace-0042-checkout"]
    assert _access_record(stack, "trace-0042-checkout")["status"] == 200
    for answer in (replaced, too_long):
        # nginx replaced what the app would refuse, and the app received nginx's id.
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-request-id"])
        assert _access_record(stack, answer.headers["x-request-id"])["status"] == 200


def test_the_app_sees_the_client_address_not_nginx_nor_a_spoofed_one(stack: Stack) -> None:
    """With CHECKOUT_PROXY_HOPS=1 the app's remote address is the client nginx saw, unspoofable."""
    with _through_nginx_from(stack, CLIENT_ADDR) as web:
        web.get("/healthz", headers={"X-Request-ID": "xff-honest-0001"})
        web.get(
            "/healthz",
            headers={"X-Request-ID": "xff-spoofed-0002", "X-Forwarded-For": "198.51.100.7"},
        )
    honest = _access_record(stack, "xff-honest-0001")
    spoofed = _access_record(stack, "xff-spoofed-0002")
    # nginx connects from 127.0.0.1; ProxyFix replaced that with the client's address.
    assert honest["remote_addr"] == CLIENT_ADDR
    assert spoofed["forwarded_for"] == f"198.51.100.7, {CLIENT_ADDR}"
    assert spoofed["remote_addr"] == CLIENT_ADDR
