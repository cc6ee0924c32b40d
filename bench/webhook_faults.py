"""The webhook fault table: what each fault does to delivery, measured on real processes.

    python -m bench.webhook_faults [--outage 20] [--orders 100] [--only NAME ...]

Each scenario starts a fresh redis-server (AOF ``appendfsync always``), real
``checkout-links worker`` processes and real receivers on 127.0.0.1; orders are
placed through the app in this process (a Flask test client over the same Redis).
It prints one Markdown row per scenario: orders, delivered, lost, duplicates
(deliveries beyond the first 2xx of an event), attempts (every request a
receiver saw) and latency from order to first 2xx (p50 / p95 / max, seconds).
Every wait is bounded; the whole run takes a few minutes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import redis
from flask.testing import FlaskClient

from checkout_links.testing import BERLIN, SECRET_A, add_merchant, make_app
from checkout_links.testing.realapp import csrf_of
from checkout_links.testing.servers import ProcessServer, RedisServer, free_port
from checkout_links.testing.webhook_receiver import Receiver
from checkout_links.web.extensions import services

FAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
SCRIPT = str(Path(sys.executable).parent / "checkout-links")


def place_order(client: FlaskClient, auth: dict[str, str]) -> str:
    """Issue a link and check it out as a customer would; returns the order id."""
    link = client.post("/api/v1/links", json={"products": [{"id": "kit"}]}, headers=auth)
    path = urlsplit(link.get_json()["url"]).path
    form = {"csrf_token": csrf_of(client.get(path).get_data(as_text=True)), "email": "a@b.co"}
    form |= BERLIN  # the kit is physical
    client.post(path, data=form)
    status = client.get(f"/api/v1/links/{link.get_json()['id']}", headers=auth).get_json()
    return str(status["order_id"])


class Bench:
    """One scenario's world: Redis, two merchants with their receivers, workers."""

    def __init__(self, root: Path, hang_seconds: float = 30.0) -> None:
        self.root = root
        self.redis_server = RedisServer(root / "redis").start()
        self.acme = Receiver(slow_seconds=hang_seconds).__enter__()
        self.globex = Receiver().__enter__()
        self.app = make_app(
            redis.Redis.from_url(self.redis_server.url),
            allow_private_webhooks=True,
            rate_limits_enabled=False,
        )
        self.client = self.app.test_client()
        self.auth = {
            "acme": {"Authorization": f"Bearer {add_merchant(self.app, 'acme')}"},
            "globex": {"Authorization": f"Bearer {add_merchant(self.app, 'globex')}"},
        }
        with self.app.app_context():
            services().merchants.set_webhook_url("acme", f"{self.acme.url}/hook")
            services().merchants.set_webhook_url("globex", f"{self.globex.url}/hook")
        self.placed: dict[str, float] = {}
        self.merchant_of: dict[str, str] = {}
        self.workers: list[ProcessServer] = []

    def worker(self, name: str, **env: str) -> ProcessServer:
        server = ProcessServer(
            [SCRIPT, "worker", "--consumer", name],
            port=free_port(),
            log_path=self.root / f"worker-{name}.log",
            env={
                "CHECKOUT_REDIS_URL": self.redis_server.url,
                "CHECKOUT_SECRET_KEYS": SECRET_A,
                "CHECKOUT_ALLOW_PRIVATE_WEBHOOKS": "true",
                "CHECKOUT_WEBHOOK_RETRY_BASE_SECONDS": "1",
                "CHECKOUT_WEBHOOK_TIMEOUT_SECONDS": "5",
                **env,
            },
            name=name,
        ).start()
        deadline = time.monotonic() + 30
        while "webhook worker started" not in server.log_text():
            if time.monotonic() > deadline or not server.running:
                raise RuntimeError(server.log_tail())
            time.sleep(0.05)
        self.workers.append(server)
        return server

    def orders(self, count: int, merchant: str = "acme", spacing: float = 0.0) -> None:
        for _ in range(count):
            at = time.time()
            order_id = place_order(self.client, self.auth[merchant])
            self.placed[order_id] = at
            self.merchant_of[order_id] = merchant
            if spacing:
                time.sleep(spacing)

    def delivered(self, merchant: str | None = None) -> dict[str, float]:
        """Order id -> arrival time of its first 2xx delivery."""
        first: dict[str, float] = {}
        for rec in (self.acme, self.globex):
            for request in rec.requests:
                if request.action != "ok":
                    continue
                order_id = json.loads(request.body)["data"]["id"]
                if merchant is None or self.merchant_of.get(order_id) == merchant:
                    first[order_id] = min(first.get(order_id, request.at), request.at)
        return first

    def wait(self, what: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not what() and time.monotonic() < deadline:
            time.sleep(0.05)

    def row(self, name: str, merchant: str | None = None) -> str:
        wanted = [o for o, m in self.merchant_of.items() if merchant is None or m == merchant]
        first = self.delivered(merchant)
        oks = [
            json.loads(r.body)["data"]["id"]
            for rec in (self.acme, self.globex)
            for r in rec.requests
            if r.action == "ok"
        ]
        oks = [o for o in oks if o in wanted]
        attempts = sum(
            1
            for rec in (self.acme, self.globex)
            for r in rec.requests
            if json.loads(r.body)["data"]["id"] in wanted
        )
        lat = sorted(first[o] - self.placed[o] for o in wanted if o in first)
        if lat:
            p95 = (
                statistics.quantiles(lat, n=20, method="inclusive")[-1] if len(lat) > 1 else lat[0]
            )
            latency = f"{statistics.median(lat):.2f} / {p95:.2f} / {lat[-1]:.2f}"
        else:
            latency = "-"
        return (
            f"| {name} | {len(wanted)} | {len(first)} | {len(wanted) - len(first)} | "
            f"{len(oks) - len(set(oks))} | {attempts} | {latency} |"
        )

    def close(self) -> None:
        for worker in self.workers:
            worker.stop(timeout=15)
        self.acme.__exit__(None, None, None)
        self.globex.__exit__(None, None, None)
        self.redis_server.stop()


def normal(b: Bench, n: int, outage: float) -> list[str]:
    b.worker("w1")
    b.worker("w2")
    b.orders(n * 2)
    b.wait(lambda: len(b.delivered()) == n * 2, 60)
    return [b.row("normal flow, 2 workers")]


def receiver_500(b: Bench, n: int, outage: float) -> list[str]:
    b.acme.default = "500"
    b.worker("w1")
    b.worker("w2")
    b.orders(n)
    time.sleep(max(0.0, outage - (time.time() - min(b.placed.values()))))
    b.acme.default = "ok"
    b.wait(lambda: len(b.delivered()) == n, 90)
    return [b.row(f"receiver 500 for {outage:g} s")]


def hanging(b: Bench, n: int, outage: float) -> list[str]:
    b.acme.default = "timeout"
    b.worker("w1")
    b.worker("w2")
    b.orders(n // 2, "acme")
    b.orders(n // 2, "globex", spacing=0.1)
    b.wait(lambda: len(b.delivered("globex")) == n // 2, 60)
    return [b.row("one merchant hanging (the other's events)", "globex")]


def worker_kill(b: Bench, n: int, outage: float) -> list[str]:
    b.acme.ok_delay = 0.05
    doomed = b.worker("doomed", CHECKOUT_WEBHOOK_CONCURRENCY="4")
    b.worker("heir", CHECKOUT_WEBHOOK_CONCURRENCY="4")
    b.orders(n)
    b.wait(lambda: len(b.delivered()) >= n // 3, 30)
    doomed.kill()
    b.wait(lambda: len(b.delivered()) == n, 60)
    return [b.row("worker kill -9 mid-backlog")]


def redis_kill(b: Bench, n: int, outage: float) -> list[str]:
    b.acme.ok_delay = 0.05
    b.worker("w1", CHECKOUT_WEBHOOK_CONCURRENCY="4")
    b.orders(n)
    b.wait(lambda: len(b.delivered()) >= n // 3, 30)
    b.redis_server.kill()
    time.sleep(1.0)
    b.redis_server.start()
    b.wait(lambda: len(b.delivered()) == n, 60)
    return [b.row("Redis kill -9 mid-backlog (AOF always)")]


def long_outage(b: Bench, n: int, outage: float) -> list[str]:
    b.orders(n * 3)
    b.worker("late", LD_PRELOAD=FAKETIME, FAKETIME="+25h", FAKETIME_DONT_FAKE_MONOTONIC="1")
    b.wait(lambda: len(b.delivered()) == n * 3, 60)
    # Latency here would count the 25 h the worker's clock skipped; the row counts events.
    return [b.row("worker outage, then a clock 25 h later")]


def sigterm(b: Bench, n: int, outage: float) -> list[str]:
    b.acme.ok_delay = 0.2
    first = b.worker("first", CHECKOUT_WEBHOOK_CONCURRENCY="4")
    b.orders(n)
    b.wait(lambda: len(b.delivered()) >= n // 4, 30)
    started = time.monotonic()
    first.stop(timeout=30)
    took = time.monotonic() - started
    b.worker("second", CHECKOUT_WEBHOOK_CONCURRENCY="4")
    b.wait(lambda: len(b.delivered()) == n, 60)
    return [b.row(f"SIGTERM during a backlog (exit after {took:.1f} s)")]


SCENARIOS: dict[str, Callable[[Bench, int, float], list[str]]] = {
    "normal": normal,
    "500": receiver_500,
    "hanging": hanging,
    "worker-kill": worker_kill,
    "redis-kill": redis_kill,
    "long-outage": long_outage,
    "sigterm": sigterm,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--outage", type=float, default=20.0)
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS))
    args = parser.parse_args()
    print("| fault | orders | delivered | lost | duplicates | attempts | latency (s) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in args.only or list(SCENARIOS):
        with tempfile.TemporaryDirectory(prefix=f"whf-{name}-") as tmp:
            bench = Bench(Path(tmp))
            try:
                for line in SCENARIOS[name](bench, args.orders, args.outage):
                    print(line, flush=True)
            finally:
                bench.close()


if __name__ == "__main__":
    main()
