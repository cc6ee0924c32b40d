"""The retention pass: what the spend's TTLs cannot expire, trimmed by the worker.

The spend script gives the order, its event record and its ``external_ref``
index a TTL (``CHECKOUT_ORDER_RETENTION_SECONDS`` after the order was
created). Members of a sorted set and entries of a stream cannot carry TTLs,
so this pass removes, per index part (16, see ``orders/indexes.py``):

* the members older than the retention from each merchant's order and event
  index (found through the part's merchant set, never by scanning keys; an
  index left empty is deleted by Redis);
* the merchants whose newest order in the part is older than the retention,
  from that merchant set;

and, per shard, when the worker's census visits it (:func:`trim_streams`),
the outbox stream entries older than the retention.

Every step is a plain range removal by time, idempotent and safe to run from
several workers at once. A member removed here belongs to an order whose key
has already expired (or expires within the same millisecond), so listing never
loses a live order to it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.connection import Redis

#: Merchants handled per pipeline round trip.
BATCH = 500


@dataclass(slots=True)
class Trimmed:
    """What one pass removed."""

    index_members: int = 0
    merchants: int = 0
    stream_entries: int = 0


def trim(
    client: Redis,
    *,
    retention_seconds: int,
    now_ms: int,
    parts: Iterable[int] = range(keys.INDEX_PARTS),
    shards: Iterable[int] = (),
) -> Trimmed:
    """Remove everything in the index ``parts`` and the streams of ``shards`` that is older
    than the retention at ``now_ms``."""
    cut = now_ms - retention_seconds * 1000
    below = f"({cut}"  # strictly older: an order at exactly ``cut`` is still kept
    done = Trimmed()
    for part in parts:
        merchants_key = keys.shard_merchants(part)
        start = 0
        while True:
            batch = cast(list[bytes], client.zrange(merchants_key, start, start + BATCH - 1))
            if not batch:
                break
            pipe = client.pipeline(transaction=False)
            for raw in batch:
                merchant_id = raw.decode() if isinstance(raw, bytes) else str(raw)
                pipe.zremrangebyscore(keys.order_index(part, merchant_id), "-inf", below)
                pipe.zremrangebyscore(keys.event_index(part, merchant_id), "-inf", below)
            done.index_members += sum(pipe.execute())
            if len(batch) < BATCH:
                break
            start += BATCH
        # After the indexes: a merchant dropped here has nothing left in them,
        # and a spend that races this re-adds it with its new order's time.
        done.merchants += int(client.zremrangebyscore(merchants_key, "-inf", below))
    done.stream_entries += trim_streams(client, shards, cut)
    return done


def trim_streams(client: Redis, shards: Iterable[int], cut_ms: int) -> int:
    """Cut the outbox streams of ``shards`` below ``cut_ms``; returns the entries removed."""
    total = 0
    batch = list(shards)
    for start in range(0, len(batch), BATCH):
        pipe = client.pipeline(transaction=False)
        for shard in batch[start : start + BATCH]:
            pipe.xtrim(keys.outbox(shard), minid=str(cut_ms), approximate=False)
        total += sum(int(n) for n in pipe.execute())
    return total


class RetentionPass:
    """Runs :func:`trim` over the index parts at most every ``every_seconds``.

    The worker calls :meth:`tick` from its loop; the first call trims at once.
    """

    def __init__(self, client: Redis, retention_seconds: int, every_seconds: float = 60.0) -> None:
        self.client = client
        self.retention_seconds = retention_seconds
        self.every_seconds = every_seconds
        self._last = float("-inf")

    def tick(self, shards: Iterable[int] = ()) -> Trimmed | None:
        """Trim the index parts, and the streams of ``shards``, if the last pass is old
        enough; else ``None``."""
        now = time.monotonic()
        if now - self._last < self.every_seconds:
            return None
        self._last = now
        return trim(
            self.client,
            retention_seconds=self.retention_seconds,
            now_ms=int(time.time() * 1000),
            shards=shards,
        )
