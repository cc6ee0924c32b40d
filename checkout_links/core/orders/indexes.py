"""A merchant's order and event indexes, and the workers' doorbell.

A placed order's keys live in its link's shard (one of up to 16,384), but a
merchant's indexes and the doorbell live in one of :data:`keys.INDEX_PARTS`
parts (part ``shard % 16``, sharing that shard number's hash tag). So listing
a merchant's orders merges 16 sorted sets, and a worker learns which shards
have work from 16 doorbells, however many shards there are.

The spend script cannot write a part (it may be in another slot), so
:meth:`Ledger.spend` writes it in a second step right after the spend, and
the worker writes it again, idempotently, when it takes the order's event
from the outbox: a process that dies between the two steps loses nothing.
Every command here is idempotent (``ZADD NX``, ``GT``, ``LT``).
"""

from __future__ import annotations

from typing import Any

from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.lua import script


def queue_index(
    pipe: Any,
    *,
    shard: int,
    merchant_id: str,
    order_id: str,
    event_id: str,
    created_ms: int,
    ref_digest: str | None,
    keep_until_ms: int,
) -> None:
    """Queue on ``pipe`` the index entries of one order and its event (all in one slot).

    The ``external_ref`` index gets the order's retention as its TTL, never
    shortened (an order placed a moment earlier may have a later created
    time), and loses its members older than the retention.
    """
    part = keys.part_of(shard)
    pipe.zadd(keys.order_index(part, merchant_id), {order_id: created_ms}, nx=True)
    pipe.zadd(keys.event_index(part, merchant_id), {event_id: created_ms}, nx=True)
    pipe.zadd(keys.shard_merchants(part), {merchant_id: created_ms}, gt=True)
    if ref_digest:
        ref_key = keys.ref_index(part, merchant_id, ref_digest)
        pipe.zadd(ref_key, {order_id: created_ms}, nx=True)
        retention_ms = keep_until_ms - created_ms
        pipe.zremrangebyscore(ref_key, "-inf", f"({created_ms - retention_ms}")
        pipe.pexpireat(ref_key, keep_until_ms, nx=True)
        pipe.pexpireat(ref_key, keep_until_ms, gt=True)


def queue_event(pipe: Any, *, shard: int, merchant_id: str, event_id: str, at_ms: int) -> None:
    """Queue on ``pipe`` the index entries of a later event of an order (a payment's), which
    the transition could not write itself (its part is in another slot)."""
    part = keys.part_of(shard)
    pipe.zadd(keys.event_index(part, merchant_id), {event_id: at_ms}, nx=True)
    pipe.zadd(keys.shard_merchants(part), {merchant_id: at_ms}, gt=True)


def queue_ring(pipe: Any, shard: int, when_ms: int = 0) -> None:
    """Queue a ring of ``shard``'s doorbell: it has work due at ``when_ms`` (0: now).

    The counter moves first, so a worker settling the doorbell after having
    looked at the shard sees that somebody rang since (see :data:`SETTLE`).
    """
    part = keys.part_of(shard)
    pipe.hincrby(keys.doorbell_rings(part), str(shard), 1)
    pipe.zadd(keys.doorbell(part), {str(shard): when_ms}, lt=True)


def ring(client: Any, shards: dict[int, int]) -> None:
    """Ring each shard's doorbell for work due at the time it maps to (one round trip)."""
    if not shards:
        return
    pipe = client.pipeline(transaction=False)
    for shard, when_ms in shards.items():
        queue_ring(pipe, shard, when_ms)
    pipe.execute()


#: Settle a part's doorbell after a worker looked at its shards (doorbell_settle.lua).
SETTLE = script("checkout_links.core.orders", "doorbell_settle")
