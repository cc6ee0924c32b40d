"""Turn a run into the console summary and ``docs/performance.md``.

The capacity model at the end is arithmetic on the measured numbers; every
assumption it adds is a named constant here and is printed with the model.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import burst, machine, stack
from bench.results import SIDES, ScenarioResult

DOCS = stack.REPO / "docs" / "performance.md"

#: Assumptions of the capacity model.
UTILISATION = 0.6  # app instances and Redis primaries are planned to run at most this busy
INSTANCE_CORES = 4  # one app instance: 4 vCPUs, GUNICORN_WORKERS=8
PAGE_VIEWS_PER_ORDER = 2  # the customer loads the cart page twice per order
LINKS_PER_ORDER = 1  # every issued link is paid (the lower bound of issuance load)
#: Round trips of one delivered webhook (worker/deliverer.py: lease SET NX PX, HGETALL event,
#: GET order, MULTI{XACK, ZREM, HSET}, release script), XREADGROUP amortised;
#: three of them write (lease, MULTI, release), so each waits for an fsync.
WEBHOOK_ROUND_TRIPS = 5
WEBHOOK_WRITES = 3
WEBHOOK_COMMANDS = 9
MAX_SHARDS = 16_384  # CHECKOUT_LEDGER_SHARDS at most: one hash tag per cluster slot
INDEX_PARTS = 16  # keys.INDEX_PARTS: the merchants' indexes and the doorbells
#: Commands of the index step per order on its part (ZADD x3, HINCRBY, ZADD), and its
#: memory per order (order + event index member), measured with MEMORY USAGE.
INDEX_COMMANDS = 5
#: The indexed spend script benchmarked: 9 of its own (the order number's EXISTS and SET
#: included), then the index step.
SPEND_COMMANDS = 14
INDEX_BYTES_PER_ORDER = 260
SHARD_MEMORY_GB = 25.0  # usable memory of one Redis primary (a 32 GB node, noeviction)
#: The largest cluster planned for: Redis Cluster is designed for about 1,000 nodes.
MAX_PRIMARIES = 1_000
TARGETS = (10_000, 100_000)


def _side(result: ScenarioResult, side: str) -> dict[str, Any]:
    return {
        "rps": result.rps(side),
        "p50_ms": result.p50(side),
        "p99_ms": result.p99(side),
        "rounds_rps": [r.wrk.rps for r in result.rounds[side]],
        "requests": sum(r.wrk.requests for r in result.rounds[side]),
        "app_cpu_us": result.app_cpu_us(side),
        "redis_cpu_us": result.redis_cpu_us(side),
        "redis_calls": result.redis_calls(side),
        "errors": result.errors(side),
        "error_text": result.error_text(side),
        "memory_per_request": result.bytes_per_request(side, "redis_memory_delta"),
        "aof_per_request": result.bytes_per_request(side, "aof_delta"),
    }


def collect(bench: Any, args: argparse.Namespace) -> dict[str, Any]:
    """Everything the report shows, as plain data (also written by ``--json``)."""
    info = dict(bench.machine)
    info["loadavg_end"] = os.getloadavg()
    scenarios = []
    for key, result in bench.results.items():
        ratio = result.ratio()
        scenarios.append(
            {
                "key": key,
                "title": result.scenario.title,
                "target": result.scenario.target,
                "ratio": ratio,
                "pair_ratios": result.pair_ratios(),
                "valid": result.valid,
                "meets_target": result.valid and ratio >= result.scenario.target,
                "other_load": result.foreign_load(info["nproc"]),
                **{side: _side(result, side) for side in SIDES},
            }
        )
    data: dict[str, Any] = {
        "generated": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": info,
        "server": args.server,
        "gunicorn": machine.server_settings(args.server, bench.env_shown),
        "env": bench.env_shown,
        "options": {
            k: getattr(args, k) for k in ("rounds", "duration", "warmup", "connections", "threads")
        },
        "redis_settings": "appendonly yes, appendfsync always, maxmemory-policy noeviction, "
        "save '', " + " ".join(stack.REDIS_EXTRA),
        "sizes": bench.sizes,
        "scenarios": scenarios,
        "codec": [asdict(row) for row in bench.extra.get("codec", [])],
        "redis_benchmark": [asdict(row) for row in bench.extra.get("redis_benchmark", [])],
        "order_json_bytes": bench.extra.get("order_json_bytes", 0),
        "split_cpu": bench.extra.get("split_cpu", {}),
        "burst": bench.extra.get("burst"),
    }
    data["capacity"] = capacity(data)
    return data


def _scenario(data: dict[str, Any], key: str) -> dict[str, Any] | None:
    return next((s for s in data["scenarios"] if s["key"] == key), None)


def capacity(data: dict[str, Any]) -> dict[str, Any]:
    """Cores, instances and Redis primaries for :data:`TARGETS` orders/s, from the run."""
    found = {k: _scenario(data, k) for k in ("issue", "cart", "order")}
    if not all(found.values()):
        return {}
    cpu = {k: s["service"]["app_cpu_us"] for k, s in found.items() if s}
    app_us = cpu["issue"] * LINKS_PER_ORDER + cpu["cart"] * PAGE_VIEWS_PER_ORDER + cpu["order"]
    bench = {r["test"].split()[0]: r["rps"] for r in data["redis_benchmark"]}
    redis_us = None
    if {"GET", "SET", "spend"} <= bench.keys():
        # Redis time per order, priced with redis-benchmark (I/O and fsync included):
        # the spend script, a small read per cart view, and the webhook worker's
        # round trips (its lease, its release and its MULTI write, the rest reads).
        read_us, write_us = 1e6 / bench["GET"], 1e6 / bench["SET"]
        redis_us = {
            "spend": 1e6 / bench["spend"],  # with its index step (shards below 16)
            "cart views": PAGE_VIEWS_PER_ORDER * read_us,
            "webhook": WEBHOOK_WRITES * write_us + (WEBHOOK_ROUND_TRIPS - WEBHOOK_WRITES) * read_us,
        }
    per_primary = 1e6 / sum(redis_us.values()) * UTILISATION if redis_us else 0.0
    order_s = found["order"]
    memory_per_order = order_s["service"]["memory_per_request"] if order_s else 0.0
    aof_per_order = order_s["service"]["aof_per_request"] if order_s else 0.0
    # The index step on a part, priced like the spend's writes (one round trip, a few
    # commands): what the busiest of the 16 parts asks of its primary.
    index_us = 1e6 / bench["spend"] * INDEX_COMMANDS / SPEND_COMMANDS if redis_us else 0.0
    plans = []
    for target in TARGETS:
        cores = target * app_us / 1e6 / UTILISATION
        primaries = math.ceil(target / per_primary) if per_primary else 0
        day_bytes = target * 86400 * memory_per_order
        part_day_bytes = target / INDEX_PARTS * 86400 * INDEX_BYTES_PER_ORDER
        # What fits: the data spread over the largest cluster, and a part's indexes on
        # one primary of its own (each of the 16 part slots on a primary of its own).
        fit_days = min(
            MAX_PRIMARIES * SHARD_MEMORY_GB * 1e9 / day_bytes if day_bytes else 0.0,
            SHARD_MEMORY_GB * 1e9 / part_day_bytes,
        )
        plans.append(
            {
                "orders_per_s": target,
                "app_cores": cores,
                "instances": math.ceil(cores / INSTANCE_CORES),
                "primaries_for_ops": primaries,
                "ledger_shards": 16 if primaries <= 16 else MAX_SHARDS,
                "part_load": target / INDEX_PARTS * index_us / 1e6 / UTILISATION,
                "memory_per_day_gb": day_bytes / 1e9,
                "primaries_for_one_day": math.ceil(day_bytes / 1e9 / SHARD_MEMORY_GB),
                "part_gb_per_day": part_day_bytes / 1e9,
                "retention_fit_hours": fit_days * 24,
                "primaries_for_fit": math.ceil(fit_days * day_bytes / 1e9 / SHARD_MEMORY_GB),
                "aof_mb_per_s": target * aof_per_order / 1e6,
            }
        )
    return {
        "per_core": {k: 1e6 / v if v else 0.0 for k, v in cpu.items()},
        "app_us_per_order": app_us,
        "redis_us_per_order": redis_us,
        "orders_per_primary": per_primary,
        "memory_per_order": memory_per_order,
        "aof_per_order": aof_per_order,
        "plans": plans,
    }


# --- console -----------------------------------------------------------------------------
def console(data: dict[str, Any]) -> str:
    out = ["== Results (medians over rounds; ratio = service/floor req/s)"]
    out.append(
        f"{'scenario':<9}{'service r/s':>12}{'floor r/s':>11}{'ratio':>7}{'target':>8}  "
        f"{'service p50/p99 ms':>19}  {'floor p50/p99 ms':>17}  {'app µs/req svc/floor':>20}"
    )
    for s in data["scenarios"]:
        sv, fl = s["service"], s["floor"]
        verdict = "INVALID" if not s["valid"] else ("ok" if s["meets_target"] else "BELOW")
        out.append(
            f"{s['key']:<9}{sv['rps']:>12.1f}{fl['rps']:>11.1f}{s['ratio']:>7.2f}"
            f"{s['target']:>6.2f} {verdict:<7}"
            f"{sv['p50_ms']:>8.2f} / {sv['p99_ms']:<8.2f}"
            f"{fl['p50_ms']:>7.2f} / {fl['p99_ms']:<8.2f}"
            f"{sv['app_cpu_us']:>9.0f} / {fl['app_cpu_us']:<6.0f}"
        )
        if not s["valid"]:
            out.append(f"    errors: service {sv['error_text']}; floor {fl['error_text']}")
        calls = ", ".join(f"{k} {v:.2f}" for k, v in sv["redis_calls"].items() if v >= 0.01)
        out.append(f"    Redis commands per service request: {calls or 'none'}")
    if data.get("burst"):
        out += burst.console(data["burst"])
    if data.get("split_cpu"):
        out.append("\n== App CPU per request: inside the WSGI app / the rest (gunicorn)")
        for s in data["scenarios"]:
            inside = data["split_cpu"].get(s["key"], {})
            parts = [
                f"{side} {inside[side]:.0f} / {s[side]['app_cpu_us'] - inside[side]:.0f} µs"
                for side in SIDES
                if side in inside
            ]
            out.append(f"{s['key']:<9}" + "; ".join(parts))
    if data["codec"]:
        out.append("\n== Token size and codec speed (full customer block)")
        out.append(
            f"{'lines':>5}{'msgpack B':>11}{'deflated B':>12}{'token chars':>13}"
            f"{'fits':>6}{'encode µs':>11}{'decode µs':>11}"
        )
        for r in data["codec"]:
            out.append(
                f"{r['lines']:>5}{r['msgpack_bytes']:>11}{r['deflated_bytes']:>12}"
                f"{r['token_chars']:>13}{'yes' if r['fits'] else 'NO':>6}"
                f"{r['encode_us']:>11.1f}{r['decode_us']:>11.1f}"
            )
    for r in data["redis_benchmark"]:
        out.append(
            f"redis-benchmark {r['test']:<14} {r['rps']:>10.0f} ops/s  "
            f"p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms"
        )
    cap = data.get("capacity")
    if cap:
        out.append("\n== Capacity model (see docs/performance.md for the assumptions)")
        for p in cap["plans"]:
            out.append(
                f"{p['orders_per_s']:>7} orders/s: {p['app_cores']:.0f} app cores "
                f"({p['instances']} x {INSTANCE_CORES}-vCPU instances), "
                f"{p['primaries_for_ops']} Redis primaries for ops "
                f"(CHECKOUT_LEDGER_SHARDS={p['ledger_shards']}), "
                f"{p['memory_per_day_gb']:.0f} GB of new Redis data per day, "
                f"{p['retention_fit_hours']:.0f} h of retention fit in memory"
            )
    m = data["machine"]
    other = max((s["other_load"] for s in data["scenarios"]), default=0.0)
    out.append(
        f"\nmachine: {m['nproc']} CPUs, {m['cpu_model']}; load average before the run "
        f"{m['loadavg_start'][0]:.2f}; other processes used up to {other:.0%} of the CPUs "
        "during the rounds"
    )
    return "\n".join(out)


#: Everything from this line on in docs/performance.md is measured by other
#: scripts (bench/slow_clients.py) and kept when the file is regenerated.
KEPT_MARK = "<!-- Below: kept when bench/run.py regenerates this file. -->"


def write_docs(
    data: dict[str, Any],
    path: Path = DOCS,
    baseline: dict[str, Any] | None = None,
    others: list[dict[str, Any]] | None = None,
) -> Path:
    """Rewrite ``path`` from ``data``, with a before/after table against ``baseline`` and
    the runs under other servers (``--json`` files), keeping what follows :data:`KEPT_MARK`."""
    from bench.docs import render

    old = path.read_text() if path.exists() else ""
    kept = old[old.index(KEPT_MARK) :] if KEPT_MARK in old else ""
    path.write_text(render(data, baseline, others or []) + ("\n" + kept if kept else ""))
    return path
