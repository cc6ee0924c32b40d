"""How the webhook workers share the shards: membership, doorbells and the census.

Whoever gives a shard work rings its doorbell (``orders/indexes.py``); there are 16
doorbells, one per index part. Each live worker heartbeats in one sorted set
and owns the doorbells whose number is its rank modulo the number of workers
(sharing one when there are more workers than doorbells). A worker reads its
own doorbells for shards due now and the others' for shards overdue by
:data:`TAKEOVER_MS`, so a dead or saturated worker's shards are taken over
before membership catches up. It never polls a shard nobody rang for.

A ring can be lost (a process dies between placing an order and ringing),
so the census rings every shard of a worker's doorbells at start, whenever
it takes new doorbells and once a minute.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from checkout_links.core.crypto.encoding import text
from checkout_links.core.errors import StoreUnavailable
from checkout_links.core.orders import indexes as indexing
from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.connection import Redis

#: How long a silent worker keeps its doorbells before the others take them.
MEMBER_TTL_MS = 5_000
#: Shards taken from one of this worker's doorbells per pass, and from another's.
RUNG_COUNT = 256
OVERDUE_COUNT = 32
#: How long past due a shard of another worker's doorbell is before this one takes it.
TAKEOVER_MS = 1_000
#: Shards rung per round trip by the census.
CENSUS_BATCH = 1000


def earliest(
    client: Redis, shards: Iterable[int], due_sets: Sequence[Callable[[int], str]]
) -> dict[int, int]:
    """The earliest score (due ms) over ``due_sets`` of each shard that has anything due, in
    one round trip: what a shard's doorbell settles to."""
    shards = list(shards)
    pipe = client.pipeline(transaction=False)
    for shard in shards:
        for due_set in due_sets:
            pipe.zrange(due_set(shard), 0, 0, withscores=True)
    replies = iter(pipe.execute())
    found: dict[int, int] = {}
    for shard in shards:
        scores = [int(rows[0][1]) for rows in (next(replies) for _ in due_sets) if rows]
        if scores:
            found[shard] = min(scores)
    return found


class Doorbells:
    """One worker's view of the doorbells."""

    def __init__(self, client: Redis, consumer: str, lease_ms: int, shard_count: int) -> None:
        self.client = client
        self.consumer = consumer
        self.takeover_ms = min(TAKEOVER_MS, lease_ms)
        #: Shards the census covers: the configured ones.
        self.shard_count = shard_count
        #: The doorbells this worker owns.
        self.parts: list[int] = []
        self._settle = client.register_script(indexing.SETTLE)

    def refresh(self, now_ms: int) -> bool:
        """Heartbeat, drop silent workers, take this worker's share of the doorbells; ``True``
        when that share includes doorbells it did not own (the census should look at them)."""
        pipe = self.client.pipeline(transaction=False)
        pipe.zadd(keys.workers(), {self.consumer: now_ms})
        pipe.zremrangebyscore(keys.workers(), "-inf", now_ms - MEMBER_TTL_MS)
        pipe.zrange(keys.workers(), 0, -1)
        members = sorted(text(m) for m in pipe.execute()[2])
        rank, count = members.index(self.consumer), len(members)
        parts = [p for p in range(keys.INDEX_PARTS) if p % count == rank]
        parts = parts or [rank % keys.INDEX_PARTS]
        new = bool(set(parts) - set(self.parts))
        self.parts = parts
        return new

    def shards(self) -> list[int]:
        """The shards of this worker's doorbells."""
        mine = set(self.parts)
        return [s for s in range(self.shard_count) if keys.part_of(s) in mine]

    def census(self) -> list[int]:
        """Ring every shard of this worker's doorbells; returns them."""
        shards = self.shards()
        for start in range(0, len(shards), CENSUS_BATCH):
            indexing.ring(self.client, dict.fromkeys(shards[start : start + CENSUS_BATCH], 0))
        return shards

    def rung(self, now_ms: int) -> dict[int, int]:
        """The shards with work due, each with its ring count as read before any look at it.

        Two round trips, one command per doorbell each, however many shards.
        """
        mine = set(self.parts)
        pipe = self.client.pipeline(transaction=False)
        for part in range(keys.INDEX_PARTS):
            if part in mine:
                upto, count = now_ms, RUNG_COUNT
            else:
                upto, count = now_ms - self.takeover_ms, OVERDUE_COUNT
            pipe.zrangebyscore(keys.doorbell(part), "-inf", upto, start=0, num=count)
        rung = {part: [text(m) for m in rows] for part, rows in enumerate(pipe.execute()) if rows}
        if not rung:
            return {}
        pipe = self.client.pipeline(transaction=False)
        for part, members in rung.items():
            pipe.hmget(keys.doorbell_rings(part), members)
        seen: dict[int, int] = {}
        for members, counts in zip(rung.values(), pipe.execute(), strict=True):
            for member, count in zip(members, counts, strict=True):
                seen[int(member)] = int(count or 0)
        return seen

    def settle(self, seen: dict[int, int], next_ms: dict[int, int | None]) -> int:
        """Set each looked-at shard's doorbell to its next due time (``None``: silence it),
        unless it was rung since ``seen``; returns how many were set."""
        by_part: dict[int, list[Any]] = {}
        for shard, rings in seen.items():
            when = next_ms.get(shard)
            by_part.setdefault(keys.part_of(shard), []).extend(
                [shard, rings, "" if when is None else when]
            )
        settled = 0
        for part, args in by_part.items():
            settled += int(
                self._settle(keys=[keys.doorbell(part), keys.doorbell_rings(part)], args=args)
            )
        return settled

    def leave(self) -> None:
        """Give up this worker's doorbells at once (the others take them on their next beat)."""
        with contextlib.suppress(StoreUnavailable):
            self.client.zrem(keys.workers(), self.consumer)
