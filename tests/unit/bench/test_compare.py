"""Runs side by side in docs/performance.md: before/after and one run per server."""

from __future__ import annotations

from typing import Any

from bench import compare
from bench.docs import _table


def _run(server: str | None, rps: float, ratio: float, worker: str = "gthread") -> dict[str, Any]:
    side = {"rps": rps, "p50_ms": 5.0, "p99_ms": 20.0, "app_cpu_us": 400.0}
    run: dict[str, Any] = {
        "generated": "2026-12-07",
        "machine": {"code": "abc", "loadavg_start": [0.1, 0.1, 0.1], "cpu_model": "x"},
        "gunicorn": {"worker_class": worker},
        "scenarios": [
            {"key": "cart", "title": "Cart page", "ratio": ratio, "service": side, "floor": side}
        ],
    }
    if server:
        run["server"] = server
    return run


def test_a_run_from_before_the_server_option_is_named_by_its_worker_class() -> None:
    """Old --json files name no server: gevent's worker class says gevent, anything else gthread."""
    assert compare.server_of(_run(None, 1, 1)) == "gthread"
    guarded = "checkout_links.serving.gevent_worker.GuardedGeventWorker"
    assert compare.server_of(_run(None, 1, 1, worker=guarded)) == "gevent"
    assert compare.server_of(_run("granian", 1, 1)) == "granian"


def test_before_after_shows_each_shared_scenario_with_its_change() -> None:
    """1,000 → 1,500 req/s shows as +50%, ratios to two decimals."""
    text = "\n".join(
        compare.before_after(_run(None, 1000, 0.5), _run("gthread", 1500, 0.8), _table)
    )
    assert "1,000 → **1,500** (+50%)" in text
    assert "0.50 → **0.80** (+60%)" in text
    assert "Different machines" not in text


def test_the_servers_table_has_one_row_per_server_in_a_fixed_order() -> None:
    """Runs given in any order come out gthread, gevent, granian."""
    runs = [_run("granian", 3, 1), _run("gthread", 1, 1), _run("gevent", 2, 1)]
    rows = [line for line in compare.servers(runs, _table) if line.startswith("| Cart page")]
    assert [row.split(" | ")[1] for row in rows] == ["gthread", "gevent", "granian"]
