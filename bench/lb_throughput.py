"""Orders per second through nginx over three gunicorn instances: one redis-server, then a cluster.

    python -m bench.lb_throughput [--orders 300] [--concurrency 16] [--max-seconds 60]

One order is what a customer does: open the cart page (``GET /c/<token>``)
and send its form (``POST``, answered 303). Links are issued beforehand and
are not timed. Each phase starts its own servers on 127.0.0.1 (deploy/
gunicorn.conf.py with 2 workers each, deploy/nginx.conf, AOF ``always``),
runs at most ``--orders`` orders or ``--max-seconds`` seconds, and stops
everything. The figures feed the capacity table of docs/operations.md; on a
shared or small machine they are indicative only (the load average is printed).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from checkout_links.testing import BERLIN, add_merchant, make_app
from checkout_links.testing.cluster import RedisCluster
from checkout_links.testing.realapp import balanced, csrf_of, http_client, issue_link, path_of
from checkout_links.testing.servers import RedisServer

LINK = {"products": [{"id": "kit", "quantity": 2}], "customer": {"email": "bench@example.com"}}


@dataclass(frozen=True)
class Result:
    phase: str
    placed: int
    statuses: Counter[int]
    seconds: float

    @property
    def orders_per_second(self) -> float:
        return self.placed / self.seconds if self.seconds else 0.0


def run_orders(url: str, api_key: str, orders: int, concurrency: int, max_seconds: float) -> Any:
    """Issue ``orders`` links, place them from ``concurrency`` threads: (placed, statuses, s)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with http_client(url, limits=limits) as web, ThreadPoolExecutor(concurrency) as pool:
        links = list(pool.map(lambda _: issue_link(web, api_key, LINK), range(orders)))
        deadline = time.monotonic() + max_seconds

        def order(link: dict[str, Any]) -> int:
            if time.monotonic() > deadline:
                return 0  # not attempted: the time budget is spent
            path = path_of(link["url"])
            page = web.get(path)
            if page.status_code != 200:
                return page.status_code
            form = {"csrf_token": csrf_of(page.text), "email": "bench@example.com", **BERLIN}
            return web.post(path, data=form).status_code

        started = time.perf_counter()
        statuses = Counter(pool.map(order, links))
        elapsed = time.perf_counter() - started
    statuses.pop(0, None)
    return statuses[303], statuses, elapsed


@contextlib.contextmanager
def single_redis(directory: Path) -> Iterator[str]:
    with RedisServer(directory / "redis") as server:
        yield server.url


@contextlib.contextmanager
def cluster_redis(directory: Path) -> Iterator[str]:
    with RedisCluster(directory / "cluster", masters=3, replicas=1) as cluster:
        seeds = ",".join(f"{h}:{p}" for h, p in cluster.startup_nodes[:2])
        yield f"redis+cluster://{seeds}/"


def phase(name: str, store: Any, args: argparse.Namespace) -> Result:
    with tempfile.TemporaryDirectory(prefix="lb-bench-") as tmp, store(Path(tmp)) as redis_url:
        api_key = add_merchant(make_app(None, redis_url=redis_url), "bench")
        with balanced(Path(tmp), redis_url, instances=3) as (nginx, _apps):
            placed, statuses, seconds = run_orders(
                nginx.url, api_key, args.orders, args.concurrency, args.max_seconds
            )
    return Result(name, placed, statuses, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300, help="links to place per phase")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="time budget per phase")
    args = parser.parse_args()
    args.orders = max(1, min(args.orders, 5000))
    args.max_seconds = max(1.0, min(args.max_seconds, 300.0))
    print(f"CPUs: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.1f}")
    phases = [
        ("nginx + 3 gunicorn (2 workers each), one redis-server", single_redis),
        ("nginx + 3 gunicorn (2 workers each), Redis Cluster 3x(master+replica)", cluster_redis),
    ]
    for name, store in phases:
        result = phase(name, store, args)
        print(
            f"{result.phase}: {result.orders_per_second:.1f} orders/s "
            f"({result.placed} placed in {result.seconds:.1f} s, concurrency {args.concurrency}, "
            f"statuses {dict(result.statuses)})"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
