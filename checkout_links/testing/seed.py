"""Many orders, fast: placed through checkout's own use case, pipelined.

Each order is placed as checkout places it (:func:`place_orders`: the same
customer checks, order record, spend script, keys and TTLs) for a link of
``lines`` lines; only the HTTP round trips of issuing the link and posting the
form are skipped, so tens of thousands of orders load in seconds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from checkout_links.core.checkout.place import Placed, PlaceRequest, place_orders
from checkout_links.core.links.ids import order_id_for
from checkout_links.core.links.token import CartLine, LinkPayload
from checkout_links.core.records import Line
from checkout_links.core.services import Services
from checkout_links.core.storage.redis_keys import new_link_rand
from checkout_links.testing import BERLIN


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
    placed: list[Seeded] = []
    for start in range(0, count, batch):
        chunk: list[Seeded] = []
        requests: list[PlaceRequest] = []
        for i in range(start, min(start + batch, count)):
            rand = new_link_rand(16)
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
            requests.append(
                PlaceRequest(
                    payload=payload,
                    lines=tuple(_line(n) for n in range(n_lines)),
                    # The kit is physical: a billing address, delivered there.
                    customer={"email": f"buyer{i}@example.com", "last_name": "Ruiz", **BERLIN},
                    request_id=os.urandom(8).hex(),
                    created_ms=created,
                )
            )
            chunk.append(Seeded(order_id_for(rand), created, ref, n_lines))
        for seeded, outcome in zip(chunk, place_orders(svc, requests), strict=True):
            assert outcome == Placed(seeded.order_id), (seeded, outcome)
        placed.extend(chunk)
    return placed
