"""Many orders, fast: pipelined spends through the ledger's real Lua script.

Each order is what checkout writes for a link of ``lines`` catalog lines (the
same ``build_order`` record, the same spend script with the same keys and
TTLs); only the HTTP round trips of issuing the link and posting the form are
skipped, so tens of thousands of orders load in seconds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from redis.cluster import RedisCluster

from checkout_links.core.ledger.store import Ledger
from checkout_links.core.links.ids import event_id_for, order_id_for
from checkout_links.core.links.token import CartLine, LinkPayload
from checkout_links.core.orders.queries import build_order
from checkout_links.core.primitives.jsonutil import dumps
from checkout_links.core.records import Customer, Line
from checkout_links.core.services import Services


@dataclass(frozen=True, slots=True)
class Seeded:
    order_id: str
    created_ms: int
    external_ref: str | None
    lines: int


def _line(n: int) -> Line:
    quantity = 1 + n % 3
    return Line(
        product_id="kit",
        name=f"Setup kit, variant {n}",
        price=Decimal("49.90"),
        quantity=quantity,
        amount=Decimal("49.90") * quantity,
        sku=f"KIT-{n}",
        properties={"colour": "blue"},
        delivery="physical",
    )


def seed_orders(
    svc: Services,
    merchant_id: str,
    count: int,
    *,
    created_ms: Callable[[int], int] | None = None,
    external_ref: Callable[[int], str | None] | None = None,
    lines: Callable[[int], int] | None = None,
    link_ttl: int = 3600,
    batch: int = 1000,
) -> list[Seeded]:
    """Place ``count`` orders for ``merchant_id``; returns them in the order placed.

    ``created_ms(i)``, ``external_ref(i)`` and ``lines(i)`` choose order ``i``'s
    creation time (default: now), reference and number of lines (default 1).
    """
    ledger: Ledger = svc.ledger
    # redis-py's cluster pipeline refuses scripts: there, one spend at a time.
    one_by_one = isinstance(svc.redis, RedisCluster)
    placed: list[Seeded] = []
    for start in range(0, count, batch):
        pipe = svc.redis.pipeline(transaction=False)
        chunk = []
        spends: list[tuple[bytes, dict[str, Any]]] = []
        for i in range(start, min(start + batch, count)):
            rand = os.urandom(16)
            now = time.time()
            created = created_ms(i) if created_ms else int(now * 1000)
            ref = external_ref(i) if external_ref else None
            n_lines = lines(i) if lines else 1
            payload = LinkPayload(
                link_rand=rand,
                merchant_id=merchant_id,
                issued_at=int(now),
                expires_at=int(now) + link_ttl,
                currency="EUR",
                lines=[CartLine("kit", 1)],
                external_ref=ref,
                additional_data={"seq": str(i)},
            )
            order_id = order_id_for(rand)
            order = build_order(
                order_id=order_id,
                link_id=f"lnk_seeded_{i}",
                payload=payload,
                lines=tuple(_line(n) for n in range(n_lines)),
                customer=Customer(email=f"buyer{i}@example.com", last_name="Ruiz"),
                created_ms=created,
            )
            spend: dict[str, Any] = {
                "link_expires_at": payload.expires_at,
                "merchant_id": merchant_id,
                "order_id": order_id,
                "order_json": dumps(order),
                "created_ms": created,
                "request_id": os.urandom(8).hex(),
                "event_id": event_id_for(rand),
                "external_ref": ref,
            }
            seeded = Seeded(order_id, created, ref, n_lines)
            if one_by_one:
                outcome = ledger.spend(rand, **spend)
                assert outcome.outcome == "placed", (seeded, outcome)
            else:
                ledger.queue_spend(pipe, rand, **spend)
                spends.append((rand, spend))
            chunk.append(seeded)
        if not one_by_one:
            for reply, seeded in zip(pipe.execute(), chunk, strict=True):
                outcome = ledger.spend_outcome(reply, seeded.order_id, "")
                assert outcome.outcome == "placed", (seeded, outcome)
            for rand, spend in spends:
                ledger.queue_index(pipe, rand, **spend)
            pipe.execute()
        placed.extend(chunk)
    return placed
