"""Tables that put runs side by side: before/after, and one run per server.

Each run is the plain data ``bench/run.py --json`` writes (:func:`bench.report.collect`);
runs written before the burst and ``--server`` existed have neither key and were served
by the gthread worker class of ``deploy/gunicorn.conf.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench import burst
from bench.stack import SERVERS

Table = Callable[[list[str], list[list[str]]], list[str]]


def server_of(run: dict[str, Any]) -> str:
    """The ``--server`` a run was served by."""
    if run.get("server"):
        return str(run["server"])
    worker = str(run.get("gunicorn", {}).get("worker_class", "gthread")).lower()
    return "gevent" if "gevent" in worker else "gthread"


def _scenarios(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["key"]: s for s in run.get("scenarios", [])}


def _bursts(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["key"]: s for s in (run.get("burst") or {}).get("scenarios", [])}


def _arrow(before: float, after: float, digits: int) -> str:
    change = f" ({(after / before - 1) * 100:+.0f}%)" if before else ""
    return f"{before:,.{digits}f} → **{after:,.{digits}f}**{change}"


def _described(run: dict[str, Any]) -> str:
    m = run.get("machine", {})
    return (
        f"code `{m.get('code', '?')}`, {run.get('generated', '?')}, load average "
        f"{m.get('loadavg_start', [0.0])[0]:.2f} before the run"
    )


def before_after(before: dict[str, Any], after: dict[str, Any], table: Table) -> list[str]:
    """The "Before and after" section: the same scenarios of two runs."""
    old, new = _scenarios(before), _scenarios(after)
    rows = []
    for key, s in new.items():
        if key not in old:
            continue
        o = old[key]
        rows.append(
            [
                s["title"],
                _arrow(o["service"]["rps"], s["service"]["rps"], 0),
                _arrow(o["ratio"], s["ratio"], 2),
                _arrow(o["service"]["p99_ms"], s["service"]["p99_ms"], 1),
                _arrow(o["service"]["app_cpu_us"], s["service"]["app_cpu_us"], 0),
            ]
        )
    out = [
        "## Before and after",
        "",
        f"Before: {_described(before)}, served by {server_of(before)}. After: this run "
        f"({_described(after)}), served by {server_of(after)}.",
        "",
    ]
    same = before.get("machine", {}).get("cpu_model") == after.get("machine", {}).get("cpu_model")
    if not same:
        out += ["> **Different machines**: compare the ratios, not the req/s.", ""]
    out += table(
        [
            "scenario",
            "service req/s",
            "service / floor",
            "service p99 ms (wrk)",
            "app CPU µs/req",
        ],
        rows,
    )
    old_b, new_b = _bursts(before), _bursts(after)
    burst_rows = []
    for key, s in new_b.items():
        if key in old_b and old_b[key]["rate"] == s["rate"]:
            o = burst.burst_phase(old_b[key]["sides"]["service"])
            n = burst.burst_phase(s["sides"]["service"])
            burst_rows.append(
                [
                    f"{s['title']} at {s['rate']:g}/s",
                    _arrow(o["p50_ms"], n["p50_ms"], 1),
                    _arrow(o["p99_ms"], n["p99_ms"], 1),
                ]
            )
    if burst_rows:
        out += ["", *table(["burst", "p50 ms", "p99 ms"], burst_rows)]
    return [*out, ""]


def servers(runs: list[dict[str, Any]], table: Table) -> list[str]:
    """The "Servers" section: the same scenarios under each ``--server`` (one run each)."""
    by_server = {server_of(r): r for r in runs}
    order = [s for s in SERVERS if s in by_server]
    rows = []
    for key in ("issue", "cart", "order"):
        for name in order:
            s = _scenarios(by_server[name]).get(key)
            if s is None:
                continue
            b = _bursts(by_server[name]).get(key)
            burst_cell = "not run"
            if b is not None:
                p = burst.burst_phase(b["sides"]["service"])
                burst_cell = f"{p['p50_ms']:.1f} / {p['p99_ms']:.1f} at {b['rate']:g}/s"
            rows.append(
                [
                    s["title"],
                    name,
                    f"{s['service']['rps']:.0f}",
                    f"{s['floor']['rps']:.0f}",
                    f"{s['ratio']:.2f}",
                    f"{s['service']['p50_ms']:.1f} / {s['service']['p99_ms']:.1f}",
                    f"{s['service']['app_cpu_us']:.0f}",
                    burst_cell,
                ]
            )
    out = [
        "## Servers",
        "",
        "The same harness under each server, one run each (`bench/run.py --server "
        "gthread|gevent|granian`): both sides run under the server named, with the same "
        "worker processes (Granian: as many workers, and as many blocking threads per "
        "worker as a gthread worker has threads). The runs: "
        + "; ".join(f"{n}: {_described(by_server[n])}" for n in order)
        + ". Compare servers by the service's req/s and latency; its ratio is to the floor "
        "under the same server, and a leaner server speeds the floor up more than the "
        "service (its share of a floor request is larger). Safety against slow clients is "
        "measured apart, in *Slow clients* below.",
        "",
    ]
    out += table(
        [
            "scenario",
            "server",
            "service req/s",
            "floor req/s",
            "service / floor",
            "service p50 / p99 ms (wrk)",
            "app CPU µs/req",
            "burst p50 / p99 ms",
        ],
        rows,
    )
    return [*out, ""]
