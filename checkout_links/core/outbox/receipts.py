"""The customer-receipt delivery state in Redis: due sets, leases, outcomes.

A receipt rides on its order's ``order.created`` event (``outbox/webhooks.py``): the
registration that makes the webhook due also sets ``receipt_state pending``
on the event hash and puts the event id in its shard's receipts due set
(:func:`~checkout_links.core.storage.redis_keys.receipts_due`), in one script, when SMTP is
configured. From then on, all in the event hash under ``receipt_*`` fields:

* ``receipt_state``: ``pending``, ``retrying``, ``sent`` or ``failed``;
* ``receipt_attempts``, ``receipt_last_attempt_ms``, ``receipt_next_ms``;
* ``receipt_last_error``: an SMTP code and a short text of ours, never an
  address or anything the server said about one.

An attempt **leases** the receipt (``SET NX PX`` on its own lock key, like a
webhook's) and moves its due score to the lease's end, so no two workers send
it at once; the **outcome** script writes the state and the next due time, or
takes it out of the due set once ``sent`` or ``failed``, and rings the shard's
doorbell (``orders/indexes.py``) for a retry's due time. The worker also counts a
shard's earliest due receipt when it settles the shard's doorbell. The event
hash's TTL (the order retention) bounds all of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast, get_args

from checkout_links.core.crypto.encoding import text
from checkout_links.core.links.ids import link_rand_of_event
from checkout_links.core.orders import indexes as indexing
from checkout_links.core.outbox import scripts
from checkout_links.core.records import Receipt, ReceiptState
from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.connection import Redis

#: The receipt states, in the order a receipt moves through them.
STATES: tuple[ReceiptState, ...] = get_args(ReceiptState)


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def state_of(raw: Mapping[str, str]) -> Receipt | None:
    """The receipt state in an event hash (keys and values as text), or ``None`` if none is owed."""
    state = raw.get("receipt_state")
    if not state:
        return None
    return Receipt(
        state=cast(ReceiptState, state),  # written by our scripts only
        attempts=_int(raw.get("receipt_attempts")) or 0,
        last_attempt_ms=_int(raw.get("receipt_last_attempt_ms")),
        next_ms=_int(raw.get("receipt_next_ms")),
        last_error=raw.get("receipt_last_error") or None,
    )


class ReceiptOutbox:
    """The Redis side of receipt delivery, for one worker (scripts loaded once)."""

    def __init__(self, client: Redis, consumer: str, lease_ms: int) -> None:
        self.client = client
        self.consumer = consumer
        self.lease_ms = lease_ms
        self._lease = client.register_script(scripts.LEASE)
        self._finish = client.register_script(scripts.RECEIPT_FINISH)

    def due(self, shards: Iterable[int], now_ms: int, count: int) -> list[tuple[float, int, str]]:
        """Up to ``count`` due receipts per shard as (due ms, shard, event id), oldest first."""
        shards = list(shards)
        pipe = self.client.pipeline(transaction=False)
        for shard in shards:
            pipe.zrangebyscore(
                keys.receipts_due(shard), "-inf", now_ms, start=0, num=count, withscores=True
            )
        return sorted(
            (float(score), shard, text(member))
            for shard, rows in zip(shards, pipe.execute(), strict=True)
            for member, score in rows
        )

    def lease(self, shard: int, event_id: str, now_ms: int) -> dict[str, str] | None:
        """Take the receipt for one attempt if it is due and free: its event hash, else ``None``."""
        rand = link_rand_of_event(event_id)
        reply: Any = self._lease(
            keys=[keys.receipt_lock(rand), keys.event(rand), keys.receipts_due(shard)],
            args=[self.consumer, self.lease_ms, now_ms, event_id, scripts.RECEIPT_FIELDS],
        )
        if text(reply[0]) != "ok":
            return None
        flat = reply[1]
        return {text(flat[i]): text(flat[i + 1]) for i in range(0, len(flat), 2)}

    def finish(
        self,
        shard: int,
        event_id: str,
        *,
        state: ReceiptState,
        next_ms: int | None,
        attempts: int,
        done_ms: int,
        error: str | None,
    ) -> bool:
        """Record an attempt's outcome and release the lease; ``False`` if the event is gone.

        A retry rings its shard's doorbell for its due time, so a worker wakes for it.
        """
        rand = link_rand_of_event(event_id)
        recorded = bool(
            self._finish(
                keys=[keys.event(rand), keys.receipts_due(shard), keys.receipt_lock(rand)],
                args=[
                    event_id,
                    self.consumer,
                    state,
                    "" if next_ms is None else next_ms,
                    attempts,
                    done_ms,
                    error or "",
                ],
            )
        )
        if recorded and next_ms is not None:
            indexing.ring(self.client, {shard: next_ms})
        return recorded
