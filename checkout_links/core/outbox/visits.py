"""What a worker does on each shard its doorbells rang for, besides reading and delivering.

See ``worker/deliverer.py`` for the pass and ``outbox/doorbells.py`` for how shards are rung.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from checkout_links.core.orders import retention
from checkout_links.core.outbox.doorbells import earliest
from checkout_links.core.outbox.webhooks import Outbox


def recover(
    outbox: Outbox,
    unregistered: set[int],
    census: list[int],
    now_ms: int,
    retention_seconds: int,
    count: int,
) -> int:
    """Register entries a dead worker read but never registered, in the ``unregistered``
    shards (:meth:`Outbox.unregistered`) and the ``census`` ones; trim the census shards'
    streams. Returns how many entries were taken over."""
    suspects = sorted(set(census) | unregistered)
    claimed = outbox.sweep(suspects, count, now_ms) if suspects else 0
    if census:
        outbox.trim(census)
        retention.trim_streams(outbox.client, census, now_ms - retention_seconds * 1000)
    return claimed


def next_times(
    outbox: Outbox,
    shards: list[int],
    due_sets: Sequence[Callable[[int], str]],
    busy: set[int],
    unregistered: set[int],
    now_ms: int,
) -> dict[int, int | None]:
    """When each looked-at shard needs a worker next (``None``: not until it is rung).

    The earliest due item of its ``due_sets`` (webhooks, receipts); a lease from
    now while it had entries read but not registered (a dead reader's, swept
    once idle a lease); now for ``busy`` shards, which had more new entries than
    one pass reads.
    """
    next_ms: dict[int, int | None] = dict.fromkeys(shards)
    next_ms.update(earliest(outbox.client, shards, due_sets))
    later = now_ms + outbox.lease_ms
    for shard in unregistered:
        current = next_ms[shard]
        next_ms[shard] = later if current is None else min(current, later)
    for shard in busy:
        next_ms[shard] = 0
    return next_ms
