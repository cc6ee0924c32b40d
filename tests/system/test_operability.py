"""Health, readiness, metrics and logs: what an operator relies on, including during outages."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from redis.backoff import NoBackoff
from redis.retry import Retry

from checkout_links.core.storage import connection as store
from checkout_links.logs import JsonFormatter
from checkout_links.testing import (
    BERLIN,
    METRICS_AUTH,
    add_merchant,
    csrf_of,
    link_path,
    make_app,
    problem_body,
)
from checkout_links.testing.realapp import (
    gunicorn_app,
    http_client,
    issue_link,
    path_of,
    sample,
    scrape,
)
from checkout_links.testing.servers import HOST, ProcessServer, RedisServer, free_port

EMAIL = "zq.private.buyer@example.org"
FIRST, LAST = "Zebulonia", "Quixotewright"
#: A long description makes a long token, so a logged slice of it would be noticed.
LINK = {
    "products": [{"id": "kit", "description": "Hand-assembled " * 40}],
    "customer": {"email": EMAIL, "first_name": FIRST, "last_name": LAST},
}


def slices(secret: str, width: int = 40) -> list[str]:
    """Every ``width``-character slice of ``secret``."""
    return [secret[i : i + width] for i in range(0, max(1, len(secret) - width + 1))]


def issue(web: FlaskClient, auth: dict[str, str], body: dict[str, Any] = LINK) -> dict[str, Any]:
    response = web.post("/api/v1/links", json=body, headers=auth)
    assert response.status_code == 201, response.text
    link: dict[str, Any] = response.json
    return link


def tabs(web: FlaskClient, link: dict[str, Any], count: int) -> list[Any]:
    """Open the cart page in ``count`` tabs and send each tab's form, one after the other."""
    pages = [web.get(link_path(link["url"])) for _ in range(count)]
    forms = [
        {"csrf_token": csrf_of(p.text), "email": EMAIL, "first_name": FIRST, **BERLIN}
        for p in pages
    ]
    return [web.post(link_path(link["url"]), data=form) for form in forms]


# --- liveness and readiness ----------------------------------------------------------------


def closed_port() -> int:
    """A loopback port nothing listens on (free_port never hands it out again)."""
    return free_port()


@pytest.fixture
def down_app() -> Flask:
    """The app with the production client (store.connect) pointed at a closed port."""
    return make_app(store.connect(f"redis://{HOST}:{closed_port()}/0"))


def test_healthz_answers_while_the_process_lives(client: FlaskClient) -> None:
    """/healthz is 200 whatever the store does."""
    assert client.get("/healthz").status_code == 200


def test_readyz_is_200_when_the_store_answers(client: FlaskClient) -> None:
    """/readyz is 200 with redis ok when the ledger store answers."""
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["redis"] == "ok"


def test_readyz_is_503_with_retry_after_when_the_store_is_down() -> None:
    """/readyz is 503 with Retry-After (and /healthz still 200) on a client of a closed port."""
    # No retries: redis-py 8 retries ten times by default, seconds per probe here.
    client = redis.Redis(
        port=closed_port(),
        socket_timeout=0.2,
        socket_connect_timeout=0.2,
        retry=Retry(NoBackoff(), 0),
    )
    app = make_app(client)
    web = app.test_client()
    response = web.get("/readyz")
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert web.get("/healthz").status_code == 200


def test_readyz_answers_an_outage_as_problem_json(down_app: Flask) -> None:
    """/readyz's 503 is problem+json (type, title, status, detail) naming the failed check."""
    body = problem_body(down_app.test_client().get("/readyz"), 503)
    assert body["type"] == "https://checkout-links.dev/problems/store-unavailable"
    assert body["redis"] == "unreachable"


def test_customer_pages_answer_503_with_retry_after_during_an_outage(
    app: Flask, auth: dict[str, str], down_app: Flask
) -> None:
    """Opening and submitting a link while the store is down gives a 503 page, never a 500."""
    link = issue(app.test_client(), auth)  # issued while the store was up
    web = down_app.test_client()
    opened = web.get(link_path(link["url"]))
    submitted = web.post(link_path(link["url"]), data={"email": EMAIL, "csrf_token": "x"})
    for response in (opened, submitted):
        assert response.status_code == 503
        assert response.mimetype == "text/html"
        assert int(response.headers["Retry-After"]) > 0
        assert response.headers["Cache-Control"] == "no-store"
    api = web.post("/api/v1/links", json=LINK, headers=auth)
    assert api.status_code == 503
    assert api.mimetype == "application/problem+json"
    assert int(api.headers["Retry-After"]) > 0


# --- metrics ---------------------------------------------------------------------------------


def metrics(web: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    text = web.get("/metrics", headers=METRICS_AUTH).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_business_counters_move_with_issuing_placing_and_refusing(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Issued, placed and refused (by reason) counters each count what happened."""
    before = metrics(client)
    spent, revoked = issue(client, auth), issue(client, auth)
    assert [r.status_code for r in tabs(client, spent, 2)] == [303, 409]
    page = client.get(link_path(revoked["url"]))
    client.post(f"/api/v1/links/{revoked['id']}/revoke", headers=auth)
    form = {"csrf_token": csrf_of(page.text), "email": EMAIL, **BERLIN}
    assert client.post(link_path(revoked["url"]), data=form).status_code == 410
    after = metrics(client)

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("checkout_links_issued_total") == 2
    assert moved("checkout_orders_placed_total") == 1
    assert moved("checkout_redemptions_refused_total", reason="spent") == 1
    assert moved("checkout_redemptions_refused_total", reason="revoked") == 1


def test_request_histogram_labels_endpoints_never_paths_or_tokens(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Latency is labelled by endpoint name; no label ever holds a token, a path or an id."""
    link = issue(client, auth)
    token = link_path(link["url"]).removeprefix("/c/")
    assert [r.status_code for r in tabs(client, link, 1)] == [303]
    client.get(link_path(link["url"]))  # 410 now
    client.get(f"/api/v1/links/{link['id']}", headers=auth)
    client.get(f"/no/such/{token}")
    text = client.get("/metrics", headers=METRICS_AUTH).text
    after = metrics(client)
    endpoints = {
        dict(labels).get("endpoint")
        for name, labels in after
        if name == "checkout_request_duration_seconds_bucket"
    }
    assert {"api.create_link", "checkout.cart", "checkout.place_order", "unmatched"} <= endpoints
    assert "api.link_status" in endpoints
    assert sample(after, "checkout_request_duration_seconds_count", endpoint="checkout.cart") > 0
    for secret in [*slices(token, 20), link["id"], "/c/", "/no/such"]:
        assert secret not in text


# --- logs ------------------------------------------------------------------------------------


@pytest.fixture
def app_log() -> Iterator[io.StringIO]:
    """What the app logs, formatted by its own JSON formatter as it is emitted."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)


def test_logs_are_json_with_request_ids_and_no_personal_data(
    app: Flask, api_key: str, auth: dict[str, str], down_app: Flask, app_log: io.StringIO
) -> None:
    """Issuing, ordering and an outage log JSON with request ids, never PII, tokens or keys."""
    web = app.test_client()
    link = issue(web, auth)
    token = link_path(link["url"]).removeprefix("/c/")
    assert [r.status_code for r in tabs(web, link, 2)] == [303, 409]
    down = down_app.test_client()
    outage = down.post(
        link_path(link["url"]),
        data={"email": EMAIL, "first_name": FIRST},
        headers={"X-Request-ID": "abc-123"},
    )
    assert outage.status_code == 503
    assert outage.headers["X-Request-ID"] == "abc-123"
    down.get(f"/api/v1/orders?email={EMAIL}", headers=auth)

    lines = app_log.getvalue().splitlines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert records, "the outage should have been logged"
    assert all(re.fullmatch(r"[0-9a-f]{32}|abc-123", r["request_id"] or "") for r in records)
    assert any(r["request_id"] == "abc-123" for r in records)
    text = app_log.getvalue()
    for secret in [EMAIL, FIRST, LAST, api_key, *slices(token)]:
        assert secret not in text


@pytest.mark.parametrize(
    "hostile",
    ["abc 123", "a" * 65, "abc\ninjected", "abc\r\nX-Evil: 1", "caf\u00e9-42", '"}{"level":"ERROR'],
)
def test_a_malformed_request_id_is_replaced(client: FlaskClient, hostile: str) -> None:
    """An X-Request-ID with spaces, newlines, quotes, non-ASCII or >64 chars is replaced."""
    response = client.get("/healthz", environ_overrides={"HTTP_X_REQUEST_ID": hostile})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_a_well_formed_request_id_is_kept(client: FlaskClient) -> None:
    """A caller's (or nginx's) well-formed X-Request-ID is echoed unchanged."""
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == (
        "abc-123"
    )


# --- real gunicorn ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


@pytest.fixture(scope="module")
def served(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessServer]:
    """Real gunicorn with deploy/gunicorn.conf.py: 2 workers, multiprocess metrics."""
    with gunicorn_app(tmp_path_factory.mktemp("gunicorn"), redis_url) as server:
        server.wait_http("/readyz", timeout=60)
        yield server


def worker_pids_with_samples(server: ProcessServer) -> set[int]:
    """Pids of the workers that wrote request samples to PROMETHEUS_MULTIPROC_DIR."""
    directory = Path(server.env["PROMETHEUS_MULTIPROC_DIR"])
    return {int(p.stem.rsplit("_", 1)[1]) for p in directory.glob("histogram_*.db")}


@pytest.mark.slow
def test_counters_add_up_over_gunicorn_workers(redis_url: str, served: ProcessServer) -> None:
    """With PROMETHEUS_MULTIPROC_DIR, any worker's /metrics counts the links every worker issued."""
    api_key = add_merchant(make_app(None, redis_url=redis_url), "metered")

    def scrape_fresh() -> float:
        with http_client(served.url) as fresh:  # a new connection, so any worker may answer
            return sample(scrape(fresh), "checkout_links_issued_total")

    before = scrape_fresh()
    issued = 0
    # New connections for every request, in parallel, until both workers have served some.
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(10):
            with http_client(served.url, headers={"Connection": "close"}) as web:
                issued += len(list(pool.map(lambda _: issue_link(web, api_key, LINK), range(16))))
            if len(worker_pids_with_samples(served)) >= 2:
                break
    assert len(worker_pids_with_samples(served)) >= 2, "one worker served every request"
    for _ in range(6):
        assert scrape_fresh() - before >= issued


@pytest.mark.slow
def test_gunicorn_logs_hold_no_token_query_or_personal_data(
    redis_url: str, served: ProcessServer
) -> None:
    """Through real gunicorn, access and app logs carry request ids but no token, confirmation
    reference, query or PII."""
    api_key = add_merchant(make_app(None, redis_url=redis_url), "logged")
    with http_client(served.url) as web:
        link = issue_link(web, api_key, LINK)
        path = path_of(link["url"])
        token = path.removeprefix("/c/")
        forms = [
            {
                "csrf_token": csrf_of(web.get(path + "?utm_source=mail-7781").text),
                "email": EMAIL,
                **BERLIN,
            }
            for _ in range(2)
        ]
        placed = web.post(path, data=forms[0], headers={"X-Request-ID": "abc-123"})
        assert placed.status_code == 303
        assert placed.headers["X-Request-ID"] == "abc-123"
        assert web.post(path, data={**forms[1], "last_name": LAST}).status_code == 409
        confirmation = placed.headers["Location"]
        reference = confirmation.removeprefix("/done/")
        assert web.get(confirmation).status_code == 200
    # gunicorn writes its access line after the response; wait for the POST's.
    text = served.wait_log(
        "the access line of abc-123",
        lambda text: any(
            '"gunicorn.access"' in line and '"abc-123"' in line for line in text.splitlines()
        ),
    )
    for secret in [EMAIL, FIRST, LAST, api_key, "mail-7781", *slices(token), *slices(reference)]:
        assert secret not in text
    access = [
        json.loads(line) for line in text.splitlines() if '"logger": "gunicorn.access"' in line
    ]
    mine = [r for r in access if r["request_id"] == "abc-123"]
    assert [(r["method"], r["path"], r["status"]) for r in mine] == [
        ("POST", f"/c/{token[:8]}…", 303)
    ]
    assert any(r["query"] == "…" and r["path"] == f"/c/{token[:8]}…" for r in access)
    app_lines = [
        line
        for line in text.splitlines()
        if line.startswith('{"ts"') and "gunicorn.access" not in line
    ]
    assert all(isinstance(json.loads(line), dict) for line in app_lines)


@pytest.fixture
def silent_redis() -> Iterator[int]:
    """A port that accepts TCP connections and never answers: a hung or firewalled Redis."""
    listener = socket.create_server((HOST, 0), backlog=256)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


@pytest.mark.slow
def test_a_silent_store_gets_a_503_before_gunicorn_kills_the_worker(
    app: Flask, auth: dict[str, str], silent_redis: int, tmp_path: Path
) -> None:
    """With Redis hung, a form POST gets the app's 503 within the shipped 30 s worker timeout."""
    link = issue(app.test_client(), auth)
    url = f"redis://{HOST}:{silent_redis}/0"
    env = {"CHECKOUT_RATE_LIMITS_ENABLED": "true"}  # the limiter's client must not hang either
    with gunicorn_app(tmp_path, url, workers=1, env=env) as server:
        server.wait_http("/healthz", timeout=90)
        with httpx.Client(base_url=server.url, trust_env=False, timeout=60.0) as web:
            response = web.post(path_of(link["url"]), data={"email": EMAIL, "csrf_token": "x"})
            assert web.get("/healthz").status_code == 200
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
