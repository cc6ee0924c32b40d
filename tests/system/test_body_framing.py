"""Request bodies cut short or over the limit, sent over raw sockets to real gunicorn.

gunicorn runs with deploy/gunicorn.conf.py and faces the client directly (no
nginx): the guard must be the app's own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from checkout_links.testing import add_merchant, make_app
from checkout_links.testing.rawhttp import chunked, exchange, head
from checkout_links.testing.realapp import csrf_of, gunicorn_app, http_client, issue_link, path_of
from checkout_links.testing.servers import ProcessServer, RedisServer

MAX_BODY = 1_048_576  # CHECKOUT_MAX_BODY_BYTES' default
FORM = "application/x-www-form-urlencoded"


@dataclass
class Real:
    app: ProcessServer
    api_key: str
    web: httpx.Client


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Real]:
    """One redis-server and one gunicorn (deploy/gunicorn.conf.py) facing clients directly."""
    tmp: Path = tmp_path_factory.mktemp("bodies")
    with RedisServer(tmp / "redis") as redis_server:
        api_key = add_merchant(make_app(None, redis_url=redis_server.url), "framing")
        server = gunicorn_app(tmp, redis_server.url, workers=1)
        with server:
            server.wait_http("/readyz", timeout=60)
            with http_client(server.url) as web:
                yield Real(server, api_key, web)


def open_link(real: Real) -> tuple[dict[str, str], str, str]:
    """A fresh link, its cart path and the CSRF token of its page."""
    link = issue_link(real.web, real.api_key, {"products": [{"id": "kit"}]})
    path = path_of(link["url"])
    page = real.web.get(path)
    assert page.status_code == 200
    return link, path, csrf_of(page.text)


def assert_still_open(real: Real, link: dict[str, str], path: str) -> None:
    """No order was stored: the link is open and its cart page still renders."""
    status = real.web.get(
        f"/api/v1/links/{link['id']}", headers={"Authorization": f"Bearer {real.api_key}"}
    )
    assert status.json() == {"id": link["id"], "status": "open"}
    assert real.web.get(path).status_code == 200


def order_form(csrf: str) -> bytes:
    return urlencode(
        {
            "csrf_token": csrf,
            "email": "ana@example.com",
            "first_name": "Ana",
            "address": "Invalidenstrasse 117, 10115",
            "city": "Berlin",
            # An address, once started, must be complete for its country.
            "postal_code": "10115",
            "country": "DE",
        }
    ).encode()


def test_form_cut_inside_address_is_refused_and_no_order_is_stored(real: Real) -> None:
    """A form POST whose body ends inside ``address=`` before its Content-Length answers 400."""
    link, path, csrf = open_link(real)
    body = order_form(csrf)
    cut = body[: body.index(b"address=") + len("address=Invalidenstrasse+117%2C")]
    headers = {"Content-Type": FORM, "Content-Length": str(len(body))}
    answer = exchange(real.app.port, head("POST", path, headers) + cut)
    assert answer.status == 400
    # The customer gets the translated error page (the API's problem says "Content-Length").
    assert b"<h1>Something went wrong</h1>" in answer.body
    assert_still_open(real, link, path)
    # The same form sent whole still places the order: nothing was burned.
    placed = real.web.post(path, content=body, headers={"Content-Type": FORM})
    assert placed.status_code == 303


def test_api_body_cut_after_valid_json_is_refused(real: Real) -> None:
    """A link request whose body is valid JSON but shorter than its Content-Length answers 400."""
    body = json.dumps({"products": [{"id": "kit"}]}).encode() + b" " * 40
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {real.api_key}",
        "Content-Length": str(len(body)),
    }
    answer = exchange(real.app.port, head("POST", "/api/v1/links", headers) + body[:-20])
    assert answer.status == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert "Content-Length" in json.loads(answer.body)["detail"]


def test_product_put_cut_short_is_refused_and_not_saved(real: Real) -> None:
    """A product PUT cut short answers 400 and leaves the catalog without the product."""
    body = json.dumps({"name": "Cut", "price": "1.00", "currency": "EUR"}).encode() + b"\n" * 10
    auth = {"Authorization": f"Bearer {real.api_key}"}
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body)), **auth}
    answer = exchange(real.app.port, head("PUT", "/api/v1/products/cut", headers) + body[:-5])
    assert answer.status == 400
    assert real.web.get("/api/v1/products/cut", headers=auth).status_code == 404


def test_chunked_form_over_the_limit_is_refused_and_no_order_is_stored(real: Real) -> None:
    """A chunked form with a 2 MiB field answers 413 and places no order."""
    link, path, csrf = open_link(real)
    body = order_form(csrf) + b"&company=" + b"x" * (2 * MAX_BODY)
    headers = {"Content-Type": FORM, "Transfer-Encoding": "chunked"}
    answer = exchange(real.app.port, head("POST", path, headers) + chunked(body))
    assert answer.status == 413
    assert_still_open(real, link, path)


def test_chunked_link_request_padded_over_the_limit_is_refused(real: Real) -> None:
    """A chunked link request followed by 2 MiB of spaces answers 413 problem+json."""
    body = json.dumps({"products": [{"id": "kit"}]}).encode() + b" " * (2 * MAX_BODY)
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {real.api_key}",
        "Transfer-Encoding": "chunked",
    }
    answer = exchange(real.app.port, head("POST", "/api/v1/links", headers) + chunked(body))
    assert answer.status == 413
    assert answer.headers["content-type"] == "application/problem+json"


def test_chunked_link_request_within_the_limit_is_served(real: Real) -> None:
    """A chunked link request under the limit is read whole and answers 201."""
    body = json.dumps({"products": [{"id": "kit", "quantity": 2}]}).encode() + b" " * 1000
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {real.api_key}",
        "Transfer-Encoding": "chunked",
    }
    answer = exchange(real.app.port, head("POST", "/api/v1/links", headers) + chunked(body, 7))
    assert answer.status == 201
    assert json.loads(answer.body)["lines"][0]["quantity"] == 2


def test_declared_length_over_the_limit_is_refused_unread(real: Real) -> None:
    """A Content-Length over the limit answers 413 without the body being sent at all."""
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {real.api_key}",
        "Content-Length": str(MAX_BODY + 1),
    }
    answer = exchange(real.app.port, head("POST", "/api/v1/links", headers))
    assert answer.status == 413
