"""Redis memory per order, measured: ``python bench/order_memory.py [--orders 100000]``.

Starts its own redis-server on a free loopback port, places ``--orders``
orders of one merchant as checkout places them (``place_orders``: the
ledger's real spend script, pipelined, so 100,000 take about a minute), marks
every event delivered the way the worker does, and reads ``used_memory``
(less the connections' buffers) before and after. It then removes one kind of
key at a time to price each part:

* ``stream``: the outbox entry (the worker trims them after a day);
* ``mark``: the spent-mark (kept link expiry + clock skew + ledger retention);
* ``ref``: the ``external_ref`` index (every order here has its own reference,
  the costly case: one small key per order);
* ``kept``: what remains for the order retention: the order JSON, the event
  record and the order and event index members.

The cart is the performance benchmark's 5-line cart (``bench/workload.py``) or,
with ``--cart one``, its first line alone. Bounded: ``--orders`` is capped at
200,000 (about 600 MB of Redis). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run as a script: the repository root in place of bench/ (as bench/run.py does).
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import msgspec
import redis

from bench.workload import LINK_REQUEST, MERCHANT_ID
from checkout_links.core.checkout.place import Placed, PlaceRequest, place_orders
from checkout_links.core.i18n.locales import negotiate
from checkout_links.core.schemas import LinkIn
from checkout_links.core.services import Services
from checkout_links.core.storage import redis_keys as keys
from checkout_links.testing import add_merchant, make_app
from checkout_links.testing.servers import RedisServer

MAX_ORDERS = 200_000
BATCH = 1000


def used(client: redis.Redis) -> int:
    info = client.info("memory")
    return int(info["used_memory"]) - int(info["mem_clients_normal"]) - int(info["mem_aof_buffer"])


def settle(client: redis.Redis) -> int:
    """``used`` once it stops moving (dict rehashing finishes in the background)."""
    last = used(client)
    for _ in range(20):
        time.sleep(0.2)
        now = used(client)
        if now == last:
            return now
        last = now
    return last


def run(orders: int, cart: str) -> dict[str, Any]:
    request = dict(LINK_REQUEST)
    if cart == "one":
        request["products"] = request["products"][:1]
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp) / "redis")
        server.start()
        try:
            return _measure(server, orders, request)
        finally:
            server.stop()


def _measure(server: RedisServer, orders: int, request: dict[str, Any]) -> dict[str, Any]:
    client = redis.Redis.from_url(server.url)
    app = make_app(client, redis_url=server.url, rate_limits_enabled=False)
    add_merchant(app, MERCHANT_ID)
    svc: Services = app.extensions["checkout"]
    for shard in range(keys.DEFAULT_SHARDS):
        client.xgroup_create(keys.outbox(shard), keys.WEBHOOK_GROUP, id="0", mkstream=True)
    issued = svc.links.issue(svc.merchants.get(MERCHANT_ID), LinkIn.model_validate(request))
    template = svc.codec.decode(issued.url.rsplit("/", 1)[1])
    lines = svc.links.lines_of(template)
    customer: dict[str, str] = request["customer"]
    # The locale the cart page would speak for this link (no Accept-Language).
    locale = negotiate(template.locale, customer.get("language"), None, None)
    baseline = settle(client)

    rands: list[bytes] = []
    json_bytes = 0
    for start in range(0, orders, BATCH):
        requests = []
        for i in range(start, min(start + BATCH, orders)):
            rand = keys.new_link_rand(16)
            payload = msgspec.structs.replace(
                template, link_rand=rand, external_ref=f"quote-{i:08d}"
            )
            requests.append(
                PlaceRequest(
                    payload=payload,
                    lines=lines,
                    customer=customer,
                    request_id=os.urandom(8).hex(),
                    locale=locale,
                )
            )
            rands.append(rand)
        for outcome in place_orders(svc, requests):
            assert isinstance(outcome, Placed), outcome
        delivered_ms = int(time.time() * 1000) + 40
        pipe = client.pipeline(transaction=False)
        for rand in rands[start:]:
            pipe.strlen(keys.order(rand))
            # What the worker's finish script writes after a delivered attempt.
            pipe.hset(
                keys.event(rand),
                mapping={
                    "attempts": 1,
                    "last_attempt_ms": delivered_ms,
                    "last_status": 200,
                    "last_error": "",
                    "state": "delivered",
                    "next_ms": "",
                },
            )
        json_bytes += sum(pipe.execute()[::2])
    total = settle(client)

    def streams(pipe: Any) -> None:
        for shard in range(keys.DEFAULT_SHARDS):
            pipe.xtrim(keys.outbox(shard), maxlen=0, approximate=False)

    def marks(pipe: Any) -> None:
        for rand in rands:
            pipe.delete(keys.link_mark(rand))

    def refs(pipe: Any) -> None:
        for key in client.scan_iter(match="cl:*:rx:*", count=10_000):
            pipe.delete(key)

    parts: dict[str, int] = {}
    before = total
    for part, drop in (("stream", streams), ("mark", marks), ("ref", refs)):
        pipe = client.pipeline(transaction=False)
        drop(pipe)
        pipe.execute()
        now = settle(client)
        parts[part] = before - now
        before = now
    parts["kept"] = before - baseline
    per = {part: round(value / orders) for part, value in parts.items()}
    return {
        "orders": orders,
        "lines_per_order": len(lines),
        "order_json_bytes": round(json_bytes / orders),
        "redis": server_version(client),
        "bytes_per_order_total": round((total - baseline) / orders),
        "bytes_per_order": per,
    }


def server_version(client: redis.Redis) -> str:
    return str(client.info("server")["redis_version"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--cart", choices=["bench", "one"], default="bench")
    args = parser.parse_args()
    if not 1_000 <= args.orders <= MAX_ORDERS:
        parser.error(f"--orders must be 1000..{MAX_ORDERS}")
    print(json.dumps(run(args.orders, args.cart), indent=2))


if __name__ == "__main__":
    main()
