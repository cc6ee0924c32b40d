"""GET /api/v1/orders filters (created_gte, created_lt, external_ref) and the export command."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from checkout_links.cli.main import cli
from checkout_links.core.services import Services
from checkout_links.testing import problem_body
from checkout_links.testing.seed import seed_orders


def iso(ms: int, micros: int = 0, offset_hours: int = 0) -> str:
    """RFC 3339 for ``ms`` (+ ``micros``), in UTC (``Z``) or at a ``+HH:00`` offset."""
    zone = timezone(timedelta(hours=offset_hours))
    when = datetime.fromtimestamp(ms / 1000, UTC).astimezone(zone) + timedelta(microseconds=micros)
    text = when.strftime("%Y-%m-%dT%H:%M:%S.%f")
    return text + (f"+{offset_hours:02d}:00" if offset_hours else "Z")


def listed(client: FlaskClient, auth: dict[str, str], query: str, limit: int = 100) -> list[str]:
    """Every order id the list answers for ``query``, following the cursor to the end."""
    ids: list[str] = []
    cursor = ""
    while True:
        url = f"/api/v1/orders?limit={limit}&{query}&cursor={cursor}"
        response = client.get(url, headers=auth)
        assert response.status_code == 200, response.get_data(as_text=True)
        page = response.get_json()
        ids.extend(o["id"] for o in page["items"])
        if not page["next_cursor"]:
            return ids
        cursor = page["next_cursor"]


@pytest.fixture
def svc(app: Flask, api_key: str) -> Services:
    services: Services = app.extensions["checkout"]
    return services


def test_created_bounds_are_gte_and_lt_to_the_millisecond(
    client: FlaskClient, auth: dict[str, str], svc: Services
) -> None:
    """created_gte keeps its own millisecond, created_lt drops it; a fraction rounds them up."""
    base = int(time.time() * 1000) - 100
    seeded = seed_orders(svc, "acme", 40, created_ms=lambda i: base + i // 2)
    at = {off: {s.order_id for s in seeded if s.created_ms == base + off} for off in range(20)}

    got = listed(client, auth, f"created_gte={iso(base + 5)}&created_lt={iso(base + 10)}", 3)
    assert set(got) == set().union(*(at[off] for off in range(5, 10)))
    assert len(got) == 10, "no order twice across pages"
    # 1 µs past a millisecond: the orders at it are before created_gte, and before created_lt.
    got = set(
        listed(client, auth, f"created_gte={iso(base + 5, 1)}&created_lt={iso(base + 10, 1)}")
    )
    assert got == set().union(*(at[off] for off in range(6, 11)))
    # The same instant written with another offset selects the same orders.
    got = set(
        listed(client, auth, f"created_gte={iso(base + 18, offset_hours=2)}".replace("+", "%2B"))
    )
    assert got == at[18] | at[19]


def test_external_ref_filter_pages_newest_first(
    client: FlaskClient, auth: dict[str, str], svc: Services
) -> None:
    """external_ref lists exactly that reference's orders, newest first, page by page."""
    base = int(time.time() * 1000) - 100
    refs = ["quote-A", "quote-B", None]
    seeded = seed_orders(
        svc, "acme", 30, created_ms=lambda i: base + i, external_ref=lambda i: refs[i % 3]
    )
    got = listed(client, auth, "external_ref=quote-A", limit=2)
    want = [s.order_id for s in sorted(seeded, key=lambda s: -s.created_ms)]
    assert got == [oid for oid in want if oid in {s.order_id for s in seeded[::3]}]
    both = listed(client, auth, f"external_ref=quote-B&created_lt={iso(base + 10)}")
    assert set(both) == {
        s.order_id for s in seeded if s.external_ref == "quote-B" and s.created_ms < base + 10
    }
    assert listed(client, auth, "external_ref=quote-C") == []


def test_orders_at_one_millisecond_page_without_loss_or_repeat(
    client: FlaskClient, auth: dict[str, str], svc: Services
) -> None:
    """500 orders sharing one millisecond (dozens per shard) each come once, pages of 7."""
    now = int(time.time() * 1000)
    seeded = seed_orders(svc, "acme", 500, created_ms=lambda i: now)
    got = listed(client, auth, "", limit=7)
    assert len(got) == 500
    assert set(got) == {s.order_id for s in seeded}


def test_orders_past_their_retention_are_not_listed_before_the_worker_trims(
    app: Flask, client: FlaskClient, auth: dict[str, str], svc: Services
) -> None:
    """Index members older than the retention are skipped, so a full page means more to come."""
    now = int(time.time() * 1000)
    keep = app.config["CHECKOUT_SETTINGS"].order_retention_seconds * 1000
    seed_orders(svc, "acme", 10, created_ms=lambda i: now - keep - 1000 - i)
    fresh = seed_orders(svc, "acme", 5, created_ms=lambda i: now - i)
    page = client.get("/api/v1/orders?limit=5", headers=auth).get_json()
    assert [o["id"] for o in page["items"]] == [s.order_id for s in fresh]
    assert page["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("created_gte=2026-11-27", "created_gte"),
        ("created_gte=2026-11-27T18:00:00", "created_gte"),
        ("created_lt=2026-13-01T00:00:00Z", "created_lt"),
        ("created_lt=yesterday", "created_lt"),
        ("created_lt=", "created_lt"),
        ("created_gte=2026-11-27T18:00:00%2B25:00", "created_gte"),
        ("external_ref=" + "x" * 129, "external_ref"),
        ("external_ref=a%00b", "external_ref"),
        ("external_ref=", "external_ref"),
    ],
)
def test_bad_filter_values_are_422_naming_the_parameter(
    client: FlaskClient, auth: dict[str, str], query: str, field: str
) -> None:
    """A filter value that is not valid is a 422 problem naming the query parameter."""
    body = problem_body(client.get(f"/api/v1/orders?{query}", headers=auth), 422)
    assert body["errors"][0]["loc"] == ["query", field]


def _export(svc: Services, *args: str) -> Any:
    return CliRunner().invoke(cli, ["orders", "export", *args], obj=svc)


def test_export_refuses_an_unknown_merchant_and_a_bad_window(svc: Services) -> None:
    """The export names what is wrong and exits 2, writing nothing to stdout."""
    unknown = _export(svc, "nobody")
    assert unknown.exit_code == 2
    assert "No merchant 'nobody'" in unknown.stderr
    assert unknown.stdout == ""
    bad = _export(svc, "acme", "--since", "last week")
    assert bad.exit_code == 2
    assert "--since must be an RFC 3339 date-time" in bad.stderr
    assert bad.stdout == ""


def test_export_reports_progress_on_stderr_and_keeps_stdout_clean(
    svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Progress lines and the final count go to stderr; stdout holds only the orders."""
    import json

    import checkout_links.cli.main

    monkeypatch.setattr(checkout_links.cli.main, "PROGRESS_SECONDS", 0.0)
    seeded = seed_orders(svc, "acme", 3)
    done = _export(svc, "acme")
    assert done.exit_code == 0, done.stderr
    assert {json.loads(line)["id"] for line in done.stdout.splitlines()} == {
        s.order_id for s in seeded
    }
    progress = done.stderr.splitlines()
    assert progress[:3] == [
        "export: 1 order so far...",
        "export: 2 orders so far...",
        "export: 3 orders so far...",
    ]
    assert progress[3].startswith("export: 3 orders in ")
