"""What ``POST /api/v1/links`` leaves in a real redis-server, and how retries are matched.

The token in a link URL is the customer's bearer credential and the link
request carries the customer's personal data: neither may be readable in
Redis, its AOF or a backup of either.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask

from checkout_links.core.links.idempotency import fingerprint
from checkout_links.testing import SECRET_B, add_merchant, make_app, problem_body
from checkout_links.testing.servers import HOST, RedisServer

EMAIL = "wilhelmina.oyelaran-private@example.net"
LINKS = "/api/v1/links"
BODY = {
    "products": [{"id": "pro-licence", "price": "40.00"}],
    "customer": {"email": EMAIL, "first_name": "Wilhelmina"},
}


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[Flask, dict[str, str], RedisServer]]:
    """The app on a real redis-server (AOF, appendfsync always) and a merchant's auth header."""
    with RedisServer(tmp_path / "redis") as server:
        app = make_app(None, redis_url=server.url)
        yield app, {"Authorization": f"Bearer {add_merchant(app)}"}, server


def every_value(server: RedisServer) -> list[bytes]:
    """Every key name and every value of every key, whatever its type, as stored bytes."""
    client = redis.Redis(host=HOST, port=server.port)
    out: list[bytes] = []
    with client:
        for key in client.scan_iter(count=1000):
            out.append(key)
            kind = client.type(key).decode()
            if kind == "string":
                out.append(client.get(key) or b"")
            elif kind == "hash":
                out += [f + b"=" + v for f, v in client.hgetall(key).items()]
            elif kind == "list":
                out += client.lrange(key, 0, -1)
            elif kind == "set":
                out += list(client.smembers(key))
            elif kind == "zset":
                out += [m for m, _ in client.zrange(key, 0, -1, withscores=True)]
            elif kind == "stream":
                out += [b"".join(k + v for k, v in f.items()) for _, f in client.xrange(key)]
            else:
                raise AssertionError(f"a {kind} key the scan does not read: {key!r}")
    return out


def aof_bytes(server: RedisServer) -> bytes:
    """Everything redis-server wrote to its append-only files so far."""
    files = [p for p in server.directory.rglob("*") if p.is_file() and ".aof" in p.name]
    assert files, "the redis-server wrote no AOF"
    return b"".join(p.read_bytes() for p in files)


def test_redis_and_its_aof_hold_no_token_and_no_customer_email(
    stack: tuple[Flask, dict[str, str], RedisServer],
) -> None:
    """After links issued with and without Idempotency-Key (and a replay), no Redis value,
    key or AOF byte holds a link token or the customer's email."""
    app, auth, server = stack
    web = app.test_client()
    tokens = []
    for headers in (
        {},
        {"Idempotency-Key": "quote-1"},
        {"Idempotency-Key": "quote-1"},
        {"Idempotency-Key": "quote-2"},
    ):
        response = web.post(LINKS, json=BODY, headers={**auth, **headers})
        assert response.status_code == 201, response.text
        tokens.append(response.get_json()["url"].rsplit("/c/", 1)[1])
    assert tokens[1] == tokens[2]  # the replay: the same link, from the stored record
    values = every_value(server)
    assert len(values) > 4  # merchant, key, catalog and idempotency records were read
    aof = aof_bytes(server)
    for token in tokens:
        for piece in (token.encode(), token[:40].encode(), token[-40:].encode()):
            assert not any(piece in value for value in values)
            assert piece not in aof
    assert not any(EMAIL.encode() in value for value in values)
    assert EMAIL.encode() not in aof


def test_the_stored_record_opens_only_with_the_service_secrets(
    stack: tuple[Flask, dict[str, str], RedisServer],
) -> None:
    """The idempotency record is sealed: an app with other secrets cannot replay it (409)."""
    app, auth, server = stack
    headers = {**auth, "Idempotency-Key": "quote-3"}
    assert app.test_client().post(LINKS, json=BODY, headers=headers).status_code == 201
    other = make_app(None, redis_url=server.url, secret_keys=SECRET_B)
    problem_body(other.test_client().post(LINKS, json=BODY, headers=headers), 409)


def test_the_same_json_spelled_differently_replays(
    stack: tuple[Flask, dict[str, str], RedisServer],
) -> None:
    """Reordered keys, other spacing and escaped characters are the same body: 201, replayed."""
    app, auth, _ = stack
    web = app.test_client()
    headers = {**auth, "Idempotency-Key": "quote-4", "Content-Type": "application/json"}
    first = web.post(LINKS, data=json.dumps(BODY), headers=headers)
    respelled = json.dumps(
        {"customer": {"first_name": "Wilhelmina", "email": EMAIL}, "products": BODY["products"]},
        indent=4,
        ensure_ascii=True,
    ).replace("Wilhelmina", "Wilhelm\\u0069na")
    again = web.post(LINKS, data=respelled, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["url"] == first.get_json()["url"]


@pytest.mark.parametrize(
    "changed",
    [
        {**BODY, "products": [{"id": "pro-licence", "price": "41.00"}]},
        {**BODY, "customer": {"email": EMAIL}},
        {**BODY, "expires_in": 3600},
    ],
    ids=["price", "field dropped", "field added"],
)
def test_a_really_different_body_is_still_refused(
    stack: tuple[Flask, dict[str, str], RedisServer], changed: dict[str, Any]
) -> None:
    """Another price, a dropped field or an added one under the same key is still 422."""
    app, auth, _ = stack
    web = app.test_client()
    headers = {**auth, "Idempotency-Key": "quote-5"}
    assert web.post(LINKS, json=BODY, headers=headers).status_code == 201
    errors = problem_body(web.post(LINKS, json=changed, headers=headers), 422)["errors"]
    assert errors[0]["loc"] == ["header", "Idempotency-Key"]


def test_the_body_fingerprint_keeps_its_canonical_form() -> None:
    """Stored records (24 h) compare by this hash: sorted keys, no spacing, escapes decoded,
    UTF-8, whole numbers as sent (3.0, 1e5 -> 100000.0); a new JSON library must not move it."""
    body = (
        '{"products": [{"id": "kit", "quantity": 3.0, "price": "12.50",'
        ' "properties": {"Größe": "L \\u00e9"}}], "expires_in": 1e5,'
        ' "customer": {"email": "ana@example.com", "last_name": "Müller"}, "external_ref": "q\\/1"}'
    ).encode()
    expected = "dbcbe5791dec16753a0400a54fa3d35a8137b6aac7f465e8aef07ca520c630c1"
    assert fingerprint(body) == expected
    assert (
        hashlib.sha256(
            b'{"customer":{"email":"ana@example.com","last_name":"M\xc3\xbcller"},"expires_in":100000.0,'
            b'"external_ref":"q/1","products":[{"id":"kit","price":"12.50",'
            b'"properties":{"Gr\xc3\xb6\xc3\x9fe":"L \xc3\xa9"},"quantity":3.0}]}'
        ).hexdigest()
        == expected
    )
