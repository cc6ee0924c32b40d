"""What a worker does on each shard its doorbells rang for, besides reading and delivering.

See ``worker.py`` for the pass and ``doorbells.py`` for how shards are rung.
"""

from __future__ import annotations

from checkout_links.core import retention
from checkout_links.core.outbox import Outbox


def recover(
    outbox: Outbox,
    shards: list[int],
    census: list[int],
    now_ms: int,
    retention_seconds: int,
    count: int,
) -> int:
    """Register entries a dead worker read but never registered, in ``shards`` that have
    some and in the ``census`` shards; trim the census shards' streams. Returns how many
    entries were taken over."""
    suspects = sorted(set(census) | outbox.unregistered(shards))
    claimed = outbox.sweep(suspects, count, now_ms) if suspects else 0
    if census:
        outbox.trim(census)
        retention.trim_streams(outbox.client, census, now_ms - retention_seconds * 1000)
    return claimed


def next_times(
    outbox: Outbox, shards: list[int], busy: set[int], now_ms: int
) -> dict[int, int | None]:
    """When each looked-at shard needs a worker next (``None``: not until it is rung).

    The earliest due event; a lease from now while it has entries read but not
    registered (a dead reader's, swept once idle a lease); now for ``busy``
    shards, which had more new entries than one pass reads.
    """
    next_ms: dict[int, int | None] = dict.fromkeys(shards)
    next_ms.update(outbox.next_due(shards))
    later = now_ms + outbox.lease_ms
    for shard in outbox.unregistered(shards):
        current = next_ms[shard]
        next_ms[shard] = later if current is None else min(current, later)
    for shard in busy:
        next_ms[shard] = 0
    return next_ms
