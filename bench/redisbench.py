"""What one Redis primary takes with AOF ``appendfsync always``: ``redis-benchmark``.

Runs on its own redis-server (same settings as the one under test) so its
keys and AOF do not mix with the A/B rounds. Three loads: ``GET``, ``SET`` of
an order-sized value, and the ledger's real spend script (``EVALSHA``, fresh
link ids from ``__rand_int__``), which is what bounds orders/s per shard.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.stack import start_redis
from checkout_links.core.ledger.scripts import SPEND_INDEXED


@dataclass(frozen=True)
class RedisBenchRow:
    test: str
    rps: float
    p50_ms: float
    p99_ms: float


def available() -> bool:
    return shutil.which("redis-benchmark") is not None


def _bench(port: int, clients: int, requests: int, args: list[str]) -> tuple[float, float, float]:
    argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(clients)]
    argv += ["-n", str(requests), "-r", "100000000", "--csv", *args]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    if not rows:
        raise RuntimeError(f"redis-benchmark printed no result: {out!r}")
    row = rows[-1]
    return float(row["rps"]), float(row["p50_latency_ms"]), float(row["p99_latency_ms"])


def measure(
    directory: Path, order_bytes: int, requests: int, clients: int = 50
) -> list[RedisBenchRow]:
    """Throughput of GET, SET and the spend script on a fresh AOF-always Redis."""
    server = start_redis(directory)
    try:
        port = server.port
        with server.client() as client:
            sha = str(client.script_load(SPEND_INDEXED))
        rows = []
        for test, args in (
            ("GET", ["-t", "get", "-d", str(order_bytes)]),
            (f"SET {order_bytes} B", ["-t", "set", "-d", str(order_bytes)]),
        ):
            rows.append(RedisBenchRow(test, *_bench(port, clients, requests, args)))
        # The spend of a shard below 16 (with its index step; see core/ledger/scripts.py),
        # provider none (no payments-due entry). KEYS: mark, order, outbox, event, order
        # number, payments due, order index, event index, the part's merchant set,
        # doorbell, ring counts. ARGV: as Ledger._spend_call builds it.
        spend = ["EVALSHA", sha, "11", "{s01}:l:__rand_int__", "{s01}:o:__rand_int__"]
        spend += ["{s01}:events", "{s01}:e:__rand_int__", "{s01}:n:m:__rand_int__"]
        spend += ["{s01}:pdue", "{s01}:ox:m", "{s01}:ex:m", "{s01}:mx", "{s01}:bell"]
        spend += ["{s01}:rings", "req", "9999999999", "ord_x", "9999999999", "x" * order_bytes]
        spend += ["1700000000000", "evt_x", "m", "9999999999999", "", "1", "N", "", "1"]
        rows.append(RedisBenchRow("spend script", *_bench(port, clients, requests // 2, spend)))
        return rows
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
