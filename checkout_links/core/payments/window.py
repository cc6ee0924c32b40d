"""The payment window: orders still unpaid ``CHECKOUT_PAYMENT_WINDOW_SECONDS`` after they
were placed are canceled (``order.canceled``, ``cancel_reason`` ``expired``).

The spend puts each order that awaits payment in its shard's payments-due
index (``storage/redis_keys.py:payments_due``), scored by when its window
ends; the paid and canceled transitions take it out. So the worker's pass
reads, per shard it looks after, only the orders whose window has ended
(``ZRANGEBYSCORE``, one pipelined round trip for all its shards), never
scanning orders. Several workers may cancel the same order at once: the
cancel transition is one atomic, idempotent step, so ``order.canceled`` is
emitted once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from checkout_links.core.crypto.encoding import text
from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import Conflict, NotFound
from checkout_links.core.merchants.store import Merchants
from checkout_links.core.payments.reconcile import reconcile
from checkout_links.core.payments.transitions import OrderPayments
from checkout_links.core.storage import redis_keys as keys

log = logging.getLogger(__name__)

#: Orders looked at per shard and pass.
BATCH = 100
#: The longest time between two passes.
EVERY_SECONDS = 15.0


def expire(payments: OrderPayments, shards: Iterable[int], now_ms: int, batch: int = BATCH) -> int:
    """Cancel the orders of ``shards`` whose payment window ended by ``now_ms``; returns how
    many this call canceled (an order another worker canceled first is not counted)."""
    client = payments.client
    listed = list(shards)
    pipe = client.pipeline(transaction=False)
    for shard in listed:
        pipe.zrangebyscore(keys.payments_due(shard), "-inf", now_ms, start=0, num=batch)
    canceled = 0
    for shard, due in zip(listed, pipe.execute(), strict=True):
        for member in due:
            order_id = text(member)
            try:
                transition = payments.cancel(order_id, reason="expired", at_ms=now_ms)
            except (NotFound, Conflict):
                # Gone (retention) or settled without leaving the index: nothing to cancel.
                client.zrem(keys.payments_due(shard), order_id)
                continue
            if transition.changed:
                canceled += 1
            elif transition.order.payment is None or transition.order.payment.status != "pending":
                client.zrem(keys.payments_due(shard), order_id)
    return canceled


class PaymentWindow:
    """Runs :func:`expire` from the worker's loop, at most every ``every_seconds``, and
    just before it a last look at the PSP for the orders now due
    (``payments/reconcile.py``), so a payment the PSP took is recorded, never canceled.

    The continuous reconciliation of card orders (a payment the PSP took while both
    reports were lost, long before the window ends) is Stripe's own cursor walk,
    ``worker/stripe_reconcile.py``; this pass asks only about orders about to be canceled,
    so no order is read from the PSP twice a minute."""

    def __init__(
        self,
        payments: OrderPayments,
        window_seconds: int,
        *,
        merchants: Merchants | None = None,
        keyring: KeyRing | None = None,
    ) -> None:
        self.payments = payments
        self.window_ms = window_seconds * 1000
        # A short window (tests, or a shop that wants payment within minutes) is checked
        # often enough that an order is canceled within a quarter of it.
        self.every_seconds = min(EVERY_SECONDS, window_seconds / 4)
        self.merchants = merchants
        self.keyring = keyring
        self._last = float("-inf")

    def tick(self, shards: Iterable[int]) -> int | None:
        """Cancel what is due in ``shards`` if the last pass is old enough; else ``None``."""
        now = time.monotonic()
        if now - self._last < self.every_seconds:
            return None
        self._last = now
        listed = list(shards)
        now_ms = int(time.time() * 1000)
        if self.merchants is not None and self.keyring is not None:
            # settle_ms = the window: exactly the orders whose due time has come.
            reconcile(
                self.payments,
                self.merchants,
                self.keyring,
                listed,
                now_ms=now_ms,
                window_ms=self.window_ms,
                settle_ms=self.window_ms,
            )
        canceled = expire(self.payments, listed, now_ms)
        if canceled:
            log.info("unpaid orders canceled", extra={"orders": canceled})
        return canceled
