"""``checkout-links orders export`` on a real redis-server: 20,000 orders, each exactly once."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis

from checkout_links.core.orders.export import COLUMNS
from checkout_links.core.services import Services
from checkout_links.testing import SECRET_A, add_merchant, make_app
from checkout_links.testing.seed import Seeded, seed_orders
from checkout_links.testing.servers import RedisServer

pytestmark = pytest.mark.slow

ORDERS = 20_000


def iso(ms: int) -> str:
    """RFC 3339 with milliseconds, as the orders carry their ``created_at``."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Exported:
    """One finished export: stdout, stderr and the process's peak memory."""

    def __init__(self, stdout: bytes, stderr: str, max_rss_kb: int) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.max_rss_kb = max_rss_kb


def run_export(server: RedisServer, tmp: Path, *args: str) -> Exported:
    """Run the real console entry point in its own process, stdout to a file."""
    env = {
        **os.environ,
        "CHECKOUT_REDIS_URL": server.url,
        "CHECKOUT_SECRET_KEYS": SECRET_A,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    out_path, err_path = tmp / "export.out", tmp / "export.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from checkout_links.cli.main import main; main()", *args],
            stdout=out,
            stderr=err,
            env=env,
        )
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = err_path.read_text()
    assert proc.returncode == 0, stderr
    return Exported(out_path.read_bytes(), stderr, usage.ru_maxrss)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RedisServer, list[Seeded]]]:
    """A real Redis holding 20,000 orders of ``acme`` (1 to 3 lines), three per millisecond."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        app = make_app(redis.Redis.from_url(server.url), redis_url=server.url)
        add_merchant(app)
        svc: Services = app.extensions["checkout"]
        base = int(time.time() * 1000) - ORDERS
        seeded = seed_orders(
            svc,
            "acme",
            ORDERS,
            created_ms=lambda i: base + i // 3,
            lines=lambda i: 1 + i % 3,
            external_ref=lambda i: f'=HYPERLINK("x",{i})' if i % 1000 == 0 else f"q-{i}",
        )
        yield server, seeded
    finally:
        server.stop()


def test_ndjson_export_has_every_order_once_newest_first_in_constant_memory(
    loaded: tuple[RedisServer, list[Seeded]], tmp_path: Path
) -> None:
    """All 20,000 orders arrive exactly once, newest first, and memory does not grow with them."""
    server, seeded = loaded
    newest = max(s.created_ms for s in seeded)
    small = run_export(server, tmp_path, "orders", "export", "acme", "--since", iso(newest - 30))
    full = run_export(server, tmp_path, "orders", "export", "acme")

    orders = [json.loads(line) for line in full.stdout.splitlines()]
    ids = Counter(o["id"] for o in orders)
    assert len(orders) == ORDERS
    assert ids == Counter(s.order_id for s in seeded), "each order exactly once"
    created = [o["created_at"] for o in orders]
    assert created == sorted(created, reverse=True)
    assert all("merchant_id" not in o for o in orders)
    assert f"export: {ORDERS} orders in" in full.stderr
    assert len(small.stdout.splitlines()) == sum(s.created_ms >= newest - 30 for s in seeded)
    # The whole export is ~30 MB of JSON; holding it would add far more than this.
    grown_mb = (full.max_rss_kb - small.max_rss_kb) / 1024
    assert grown_mb < 20, f"peak memory grew by {grown_mb:.0f} MB for {ORDERS} orders"
    print(
        f"ndjson export: {len(orders)} orders, {len(full.stdout)} bytes, "
        f"peak RSS {full.max_rss_kb // 1024} MB vs {small.max_rss_kb // 1024} MB for 92"
    )


def test_csv_export_has_one_row_per_order_line_and_a_header(
    loaded: tuple[RedisServer, list[Seeded]], tmp_path: Path
) -> None:
    """The CSV has the header, then each order's lines numbered 1..n, every order exactly once."""
    server, seeded = loaded
    done = run_export(server, tmp_path, "orders", "export", "acme", "--format", "csv")
    rows = list(csv.reader(io.StringIO(done.stdout.decode(), newline="")))
    assert tuple(rows[0]) == COLUMNS
    body = [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]
    expected_rows = sum(s.lines for s in seeded)
    assert len(body) == expected_rows
    lines_of: dict[str, list[str]] = {}
    for row in body:
        lines_of.setdefault(row["order_id"], []).append(row["line_number"])
    want = {s.order_id: [str(n) for n in range(1, s.lines + 1)] for s in seeded}
    assert lines_of == want, "every order once, with each of its lines once, in order"
    second_lines = [r for r in body if r["line_number"] == "2"]
    assert {(r["price"], r["quantity"], r["amount"]) for r in second_lines} == {
        ("49.90", "2", "99.80")
    }, "money as exact decimal strings"
    by_id = {s.order_id: s for s in seeded}
    first: dict[str, Any] = next(r for r in body if by_id[r["order_id"]].external_ref[0] == "=")
    assert first["external_ref"].startswith("'="), "a formula is never left for a spreadsheet"
    assert f"export: {ORDERS} orders, {expected_rows} CSV rows in" in done.stderr
    print(f"csv export: {ORDERS} orders, {expected_rows} rows")


def test_export_window_is_since_inclusive_and_until_exclusive(
    loaded: tuple[RedisServer, list[Seeded]], tmp_path: Path
) -> None:
    """--since keeps orders created at that very millisecond, --until drops them."""
    server, seeded = loaded
    base = min(s.created_ms for s in seeded)
    since, until = base + 1000, base + 2000
    done = run_export(
        server, tmp_path, "orders", "export", "acme", "--since", iso(since), "--until", iso(until)
    )
    got = Counter(json.loads(line)["id"] for line in done.stdout.splitlines())
    want = Counter(s.order_id for s in seeded if since <= s.created_ms < until)
    assert got == want
    assert len(want) == 3000  # three orders a millisecond, boundary ones included
