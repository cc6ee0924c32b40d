"""Render ``docs/performance.md`` from one run's data (see :func:`bench.report.collect`)."""

from __future__ import annotations

from typing import Any

from bench import burst, compare, report


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def _machine(data: dict[str, Any]) -> list[str]:
    m, opts = data["machine"], data["options"]
    other = max((s["other_load"] for s in data["scenarios"]), default=0.0)
    out = ["## Machine and settings", ""]
    if m["loadavg_start"][0] > 0.5 * m["nproc"] or other > 0.1:
        out += [
            f"> **The machine was busy**: load average {m['loadavg_start'][0]:.1f} before the "
            f"run on {m['nproc']} CPUs, and other processes used up to {other:.0%} of the "
            "CPUs during the rounds. These numbers are indicative only; re-run on an idle "
            "machine.",
            "",
        ]
    out += _table(
        ["what", "value"],
        [
            ["code measured (`git describe --always --dirty`)", m.get("code", "?")],
            ["CPUs (`nproc`)", str(m["nproc"])],
            ["CPU model", m["cpu_model"]],
            ["memory", f"{m['memory_gib']} GiB"],
            ["kernel", m["kernel"]],
            ["Python", m["python"]],
            ["Flask / gunicorn / redis-py", f"{m['flask']} / {m['gunicorn']} / {m['redis_py']}"],
            ["Redis", m["redis_server"]],
            ["wrk", m["wrk"]],
            ["load average (1 min) before the run", f"{m['loadavg_start'][0]:.2f}"],
            ["CPU used by other processes in the rounds (max per scenario)", f"{other:.0%}"],
        ],
    )
    g = data["gunicorn"]
    server = compare.server_of(data)
    how = (
        f"`python -m granian` ({m.get('granian') or '?'}; `bench/stack.py`)"
        if server == "granian"
        else "`gunicorn -c deploy/gunicorn.conf.py`"
    )
    out += [
        "",
        f"Both sides run {how} with these settings "
        "(the service `wsgi:app`, the floor `bench.floor:app`"
        + ("; this run through `bench/split_cpu.conf.py`" if data.get("split_cpu") else "")
        + "):",
        "",
    ]
    out += _table([f"{server} setting", "value"], [[f"`{k}`", f"`{v}`"] for k, v in g.items()])
    env = ", ".join(f"`{k}={v}`" for k, v in data["env"].items() if not k.startswith("BENCH_"))
    out += [
        "",
        f"Environment: {env} (ports differ per side; `CHECKOUT_SECRET_KEYS` is a fresh "
        "random secret per run).",
        "",
        f"Redis (one redis-server for both sides, in alternate rounds): {data['redis_settings']}.",
        "",
        f"Load: wrk, {opts['threads']} threads, {opts['connections']} connections; "
        f"{opts['rounds']} measured rounds of {opts['duration']:g} s per side and scenario, "
        f"after {opts['warmup']:g} s of unmeasured warm-up per side; rounds alternate "
        "service→floor, floor→service, ... Everything (wrk, Redis, both gunicorns) shares "
        "the machine's CPUs.",
    ]
    return out


def _results(data: dict[str, Any]) -> list[str]:
    rows = []
    for s in data["scenarios"]:
        sv, fl = s["service"], s["floor"]
        pairs = s["pair_ratios"]
        spread = f" ({min(pairs):.2f} to {max(pairs):.2f})" if pairs else ""
        verdict = (
            "**invalid** (errors)"
            if not s["valid"]
            else ("meets" if s["meets_target"] else "**below**")
        )
        rows.append(
            [
                s["title"],
                f"{sv['rps']:.0f}",
                f"{fl['rps']:.0f}",
                f"**{s['ratio']:.2f}**{spread}",
                f"≥ {s['target']:.2f}: {verdict}",
                f"{sv['p50_ms']:.1f} / {sv['p99_ms']:.1f}",
                f"{fl['p50_ms']:.1f} / {fl['p99_ms']:.1f}",
            ]
        )
    out = ["## Results", ""]
    out += _table(
        [
            "scenario",
            "service req/s",
            "floor req/s",
            "ratio (per pair)",
            "target",
            "service p50 / p99 ms",
            "floor p50 / p99 ms",
        ],
        rows,
    )
    out += [
        "",
        "Medians over the rounds; the ratio is service/floor of the median req/s, "
        "in brackets the range of the ratios of each back-to-back pair. Latency is "
        "wrk's distribution (p50/p99 per round, median over rounds). A scenario with any "
        "unexpected status or socket error is invalid.",
        "",
    ]
    rows = []
    for s in data["scenarios"]:
        for side in ("service", "floor"):
            d = s[side]
            calls = ", ".join(f"{k} {v:.2f}" for k, v in d["redis_calls"].items() if v >= 0.01)
            rows.append(
                [
                    s["key"],
                    side,
                    f"{d['app_cpu_us']:.0f}",
                    f"{d['redis_cpu_us']:.0f}",
                    calls or "none",
                    f"{d['errors']}",
                    ", ".join(f"{r:.0f}" for r in d["rounds_rps"]),
                ]
            )
    out += ["### Cost per request", ""]
    out += _table(
        [
            "scenario",
            "side",
            "app CPU µs/req",
            "Redis CPU µs/req",
            "Redis commands/req (measured)",
            "errors",
            "req/s per round",
        ],
        rows,
    )
    out += [
        "",
        "App CPU is user+system time of the gunicorn master and all its workers "
        "(recycled ones included) over the rounds, per request; Redis CPU and commands "
        "come from `INFO cpu` and `INFO commandstats` around each round (commands run "
        "inside a Lua script are counted too, under their own names).",
        "",
    ]
    out += _split(data)
    sizes = data["sizes"]
    if sizes:
        out += [
            "Bytes on the wire, service vs floor (the floor is sized from the service): "
            + "; ".join(
                f"{k} {sizes['service'][k]} vs {sizes['floor'][k]}" for k in sizes["service"]
            )
            + f". The stored order JSON is "
            f"{data['order_json_bytes']} bytes.",
            "",
        ]
    return out


def _split(data: dict[str, Any]) -> list[str]:
    split = data.get("split_cpu")
    if not split:
        return []
    rows = []
    for s in data["scenarios"]:
        for side in ("service", "floor"):
            inside = split.get(s["key"], {}).get(side)
            if inside is None:
                continue
            total = s[side]["app_cpu_us"]
            rows.append([s["key"], side, f"{total:.0f}", f"{inside:.0f}", f"{total - inside:.0f}"])
    out = [
        "### Where the app CPU goes (`--split-cpu`)",
        "",
        "Both sides ran under `bench/split_cpu.conf.py`: the deploy configuration, read and "
        "run as it is, plus a hook that adds up each worker's thread CPU time inside the "
        "WSGI app call per request kind. *Inside the app* is that (warm-ups included); "
        "*the rest* is the app CPU above minus it: gunicorn reading and parsing the request, "
        "the access log, writing the response, its event loop and thread hand-offs.",
        "",
    ]
    out += _table(
        ["scenario", "side", "app CPU µs/req", "inside the app", "the rest (gunicorn)"], rows
    )
    return [*out, ""]


def _budget(data: dict[str, Any]) -> list[str]:
    """What a target allows the service to add per request, against what it adds."""
    rows = []
    for s in data["scenarios"]:
        floor, service = s["floor"]["app_cpu_us"], s["service"]["app_cpu_us"]
        floor += s["floor"]["redis_cpu_us"]
        service += s["service"]["redis_cpu_us"]
        allowed = floor * (1 / s["target"] - 1)
        rows.append(
            [
                s["key"],
                f"{floor:.0f}",
                f"{service:.0f}",
                f"{service - floor:.0f}",
                f"{allowed:.0f}",
            ]
        )
    out = [
        "## What stands between the service and the targets",
        "",
        "On this machine throughput is bound by CPU (two cores shared by wrk, Redis and "
        "the gunicorns), so a ratio is roughly the inverse ratio of CPU per request. A "
        "target of 0.85 lets the service spend 18% more CPU per request than the floor; "
        "0.75 lets it spend a third more:",
        "",
    ]
    out += _table(
        [
            "scenario",
            "floor CPU µs/req (app + Redis)",
            "service",
            "service adds",
            "the target allows",
        ],
        rows,
    )
    out += [
        "",
        "What the service adds is its product, and `python bench/profiling.py` shows it "
        "per call: for issuance, validating five lines against their catalog revisions, "
        "sealing the token (msgpack, deflate, AES-GCM-SIV), the link id's MAC and the "
        "201 body with the merged lines; for the cart page, opening the token, merging the "
        "lines with their revisions, formatting eleven amounts, minting the form token and "
        "the page; for an order, opening the token, checking the form token, validating the "
        "customer, building and serialising the order and one Lua script of eight "
        "commands (mark, order, order index, outbox, delivery record) where the floor "
        "sends one `SET NX`. Measured in a quiet single-threaded loop this is a few "
        "hundred microseconds per request; under load the same code costs two to three "
        "times as much CPU on both sides (`--split-cpu` shows the service's and the "
        "floor's CPU inside the app; see `bench/README.md`), and every remaining piece "
        "(decrypting the token alone is 15 to 35 µs, a Redis round trip costs the "
        "client 70 to 160 µs of CPU on this virtual machine) is needed for what the "
        "endpoint promises. Per-token caching of the decoded cart or the rendered page "
        "would lift the cart ratio in this benchmark, which reads one link over and over, "
        "but not in production, where each link is opened a few times; it is not done.",
        "",
    ]
    return out


def _codec(data: dict[str, Any]) -> list[str]:
    if not data["codec"]:
        return []
    out = [
        "## Token size and codec speed",
        "",
        "`checkout_links.core.links.token.TokenCodec` in-process, median of 5 repeats. Carts of "
        "varied lines (every third overrides name, price, sku and properties; the rest "
        "quantity and sometimes a property) with a full customer block, "
        "`additional_data`, `external_ref`, `return_url` and `locale`. *Fits* means "
        "`/c/<token>` is within the longest path the service issues.",
        "",
    ]
    out += _table(
        [
            "lines",
            "msgpack bytes",
            "deflated bytes",
            "token chars",
            "fits",
            "encode µs",
            "decode µs",
        ],
        [
            [
                str(r["lines"]),
                str(r["msgpack_bytes"]),
                str(r["deflated_bytes"]),
                str(r["token_chars"]),
                "yes" if r["fits"] else "no",
                f"{r['encode_us']:.1f}",
                f"{r['decode_us']:.1f}",
            ]
            for r in data["codec"]
        ],
    )
    return [*out, ""]


def _capacity(data: dict[str, Any]) -> list[str]:
    cap = data.get("capacity")
    if not cap:
        return ["## Capacity model", "", "Needs all three scenarios in one run.", ""]
    out = ["## Capacity model", ""]
    if data["redis_benchmark"]:
        out += [
            "### One Redis primary, AOF `appendfsync always` (redis-benchmark)",
            "",
            "A fresh redis-server with the same settings, 50 clients, on the same machine "
            "(so the disk's fsync latency is this machine's):",
            "",
        ]
        out += _table(
            ["load", "ops/s", "p50 ms", "p99 ms"],
            [
                [r["test"], f"{r['rps']:.0f}", f"{r['p50_ms']:.2f}", f"{r['p99_ms']:.2f}"]
                for r in data["redis_benchmark"]
            ],
        )
        out.append("")
    out += [
        "### Redis operations per order (counted in the code, confirmed by the table above)",
        "",
        "- **Placement** (`checkout.place_order` → `Ledger.spend`): **1 round trip** in "
        "shards 0..15, one `EVALSHA` running `GET` (mark), `TIME`, `EXISTS` (order number), "
        "`SET` (mark, with `EXAT`), `SET` (order), `XADD` (outbox), `HSET` + `PEXPIREAT` "
        "(event record), `SET` (order number; an order awaiting payment adds a `ZADD` to its "
        "shard's payments due), then "
        "the index step in the same slot: `ZADD` (order index), `ZADD` (event index), "
        "`ZADD` (merchant set), `HINCRBY` + `ZADD` (doorbell): 14 commands, one AOF fsync "
        "(group-committed with concurrent writes). In shards 16 and up the index step is a "
        "second round trip to the shard's index part. The catalog revisions are read with "
        "one `MGET` only on a cold per-process cache (revisions are immutable, cached "
        "without expiry).",
        "- **Cart page**: 1 round trip (`Ledger.mark`: a `GET` of the mark).",
        "- **Issuance**: no round trip while the per-process caches of the API key, the "
        "merchant and the current products are warm (`CHECKOUT_CACHE_SECONDS`, 5 s); "
        "otherwise one `GET` each and one `MGET` of the products.",
        "- **Webhook delivery** (`worker/deliverer.py`, not run here): about "
        f"{report.WEBHOOK_ROUND_TRIPS} "
        f"round trips and {report.WEBHOOK_COMMANDS} commands per order (lease `SET NX PX`, "
        "`HGETALL` event, `GET` order, `MULTI`/`XACK`/`ZREM`/`HSET`/`EXEC`, release script), "
        "plus `XREADGROUP` batches and, per pass, the 16 doorbells (whatever the shard "
        "count) and the due set of each shard they name.",
        "",
        "### Throughput per core (measured above: requests per second of application CPU)",
        "",
    ]
    per_core = cap["per_core"]
    out += _table(
        ["endpoint", "req/s per core (service)"], [[k, f"{v:.0f}"] for k, v in per_core.items()]
    )
    rows = []
    for p in cap["plans"]:
        rows.append(
            [
                f"{p['orders_per_s']:,}",
                f"{p['app_cores']:.0f}",
                str(p["instances"]),
                f"{p['primaries_for_ops']} (`CHECKOUT_LEDGER_SHARDS={p['ledger_shards']}`)",
                f"{p['part_load']:.0%}",
                f"{p['memory_per_day_gb']:,.0f} GB ({p['primaries_for_one_day']} primaries)",
                f"{p['retention_fit_hours']:,.0f} h ({p['primaries_for_fit']} primaries)",
                f"{p['aof_mb_per_s']:.0f} MB/s",
            ]
        )
    redis_us = cap["redis_us_per_order"]
    if redis_us:
        parts = ", ".join(f"{k} {v:.0f} µs" for k, v in redis_us.items())
        redis_text = (
            f"A Redis primary spends {sum(redis_us.values()):.0f} µs per order ({parts}; "
            "priced from redis-benchmark above: the spend script, a `GET` per small read, a "
            f"`SET` per write round trip, the webhook worker as {report.WEBHOOK_WRITES} "
            f"writes and {report.WEBHOOK_ROUND_TRIPS - report.WEBHOOK_WRITES} reads), so a "
            f"primary is planned at **{cap['orders_per_primary']:.0f} orders/s**."
        )
    else:
        redis_text = "Redis primaries need the redis-benchmark numbers (not measured)."
    out += [
        "",
        "### Sizing for 10,000 and 100,000 orders/s",
        "",
        "Assumptions: per order the merchant issues "
        f"{report.LINKS_PER_ORDER} link and the customer loads the cart page "
        f"{report.PAGE_VIEWS_PER_ORDER} times; app instances have {report.INSTANCE_CORES} "
        f"vCPUs and, like Redis primaries, are planned at {report.UTILISATION:.0%} busy; a "
        f"Redis primary keeps {report.SHARD_MEMORY_GB:g} GB of data. Per order the app "
        f"spends **{cap['app_us_per_order']:.0f} µs of CPU** (measured above). {redis_text} "
        f"Redis memory per order: {cap['memory_per_order']:.0f} bytes; AOF per order: "
        f"{cap['aof_per_order']:.0f} bytes (both measured over the order rounds). The "
        "per-primary rate comes from this machine's disk and CPUs: rerun `redis-benchmark` "
        "on the production hardware before sizing.",
        "",
    ]
    out += _table(
        [
            "orders/s",
            "app cores",
            f"{report.INSTANCE_CORES}-vCPU instances",
            "Redis primaries for ops",
            "busiest index part (of one primary)",
            "new Redis data per day",
            "retention that fits in memory",
            "AOF writes",
        ],
        rows,
    )
    out += [
        "",
        "What the numbers say:",
        "",
        "- **The ledger grows with the cluster.** Each link carries the shard it was issued "
        "in (`CHECKOUT_LEDGER_SHARDS`, up to 16,384, one per slot), so past 16 primaries set "
        "it to 16,384 at any time: issued links keep their shards, new ones spread over "
        "every primary (see `docs/operations.md`, *Scaling the ledger past 16 shards*). "
        "Listing and idle workers read the 16 index parts and doorbells, whatever the "
        "count. The index parts are 16 slots: each takes 1/16 of the orders' index steps "
        "(the *busiest index part* column, as a share of one primary planned at "
        f"{report.UTILISATION:.0%}) and their index entries "
        f"({report.INDEX_BYTES_PER_ORDER} bytes per order), so give each part slot a "
        "primary of its own at these rates.",
        "- **What fits in memory, and where the rest lives.** The *retention that fits* "
        "column is the shorter of two bounds: all order data on a "
        f"{report.MAX_PRIMARIES:,}-primary cluster (Redis Cluster is designed for about "
        f"1,000 nodes) of {report.SHARD_MEMORY_GB:g} GB primaries, and one index part's "
        "entries on one such primary; at these rates the index parts bind (16 slots take "
        "every order's index entries), and more parts would raise it at the cost of "
        "listing merging that many sorted sets. Set `CHECKOUT_ORDER_RETENTION_SECONDS` "
        "below it (an "
        "hour or a few at 100,000 orders/s, a day or so at 10,000). History beyond lives "
        "in the merchant's own systems: every order reaches them in its signed "
        "`order.created` webhook (retried for 3 days), and `checkout-links orders export "
        "MERCHANT --since ... --format ndjson|csv` streams any window still in Redis, so "
        "an hourly export job keeps a complete copy with hours of margin.",
        "- **Memory, not operations, sizes Redis.** Each order keeps its order JSON, event "
        "record and order/event index entries for `CHECKOUT_ORDER_RETENTION_SECONDS` "
        "(400 days by default; TTLs set by the spend, index members trimmed by the worker), "
        "the ledger mark for its own 90 days and the outbox entry for a day (no worker runs "
        "here, so the figure above includes the stream entry). At 400 days Redis holds "
        "about 400 times a day's orders, and the shipped `deploy/redis.conf` "
        "(`maxmemory 512mb`, `noeviction`) answers placement with 503 once full: size the "
        "retention with `docs/operations.md` (memory per order from "
        "`bench/order_memory.py`) and export older history with `checkout-links orders "
        "export`.",
        "- **AOF `always` is group-committed**: Redis fsyncs once per event-loop turn for "
        "all clients' writes, so throughput depends on concurrency and on the disk's fsync "
        "latency; measure the production disk with `redis-benchmark` as above.",
        "",
    ]
    return out


def render(
    data: dict[str, Any],
    baseline: dict[str, Any] | None = None,
    others: list[dict[str, Any]] | None = None,
) -> str:
    """The whole document: ``data``, against ``baseline`` and runs under ``others`` servers."""
    out = [
        "# Performance",
        "",
        f"*Generated by `python bench/run.py --write-docs` on {data['generated']}; do not "
        "edit by hand. How the harness works: `bench/README.md`.*",
        "",
        "The service is measured side by side with a *floor*: a bare Flask app "
        "(`bench/floor.py`) under the same gunicorn configuration that does the least each "
        "scenario must do (parse the same body, one Redis round trip, a response of the same "
        "size). Targets: issuance and cart page at least 0.85 of the floor's throughput, "
        "order placement at least 0.75.",
        "",
    ]
    if baseline is not None:
        out += compare.before_after(baseline, data, _table)
    out += _results(data)
    if data.get("burst"):
        out += burst.doc_section(data["burst"], _table)
    if others:
        out += compare.servers([data, *others], _table)
    out += _budget(data)
    out += _machine(data)
    out.append("")
    out += _codec(data)
    out += _capacity(data)
    return "\n".join(out).rstrip() + "\n"
