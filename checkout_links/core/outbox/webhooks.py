"""The webhook delivery state in Redis: intake, leases, outcomes, circuits, trimming.

An event moves through these keys (all of one shard share its hash tag):

* the shard's **outbox stream** gets an entry with the order (``ledger/store.py``);
* a worker reads it with the consumer group and **registers** it: the event
  joins the shard's ``due`` set, its entry id joins the ``live`` set and the
  event hash, and only then is the entry acknowledged. A worker killed between
  the read and the registration leaves the entry pending in the group; any
  worker's sweep (``XAUTOCLAIM``) registers it again;
* an attempt **leases** the event (``SET NX PX``) and moves its due score to
  the lease's end, so other workers skip it without asking; a heartbeat renews
  both while the request is in flight;
* the **outcome** is written in one script: attempts, state, the next due time
  (and the merchant's retry set), or, once ``delivered``, ``dead`` or
  ``skipped`` (its merchant had no webhook URL), the removal of the outbox
  entry (``XDEL``) and its ``live`` mark.

So an outbox entry is removed only when its event is delivered, dead or skipped, and
:meth:`Outbox.trim` never cuts below the oldest ``live`` or unacknowledged
entry, whatever any clock says.

Each merchant endpoint's circuit is in ``endpoints.py``; when it closes,
:meth:`Outbox.pull_forward` makes the merchant's waiting retries due at once.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import redis.exceptions

from checkout_links.core.crypto.encoding import text
from checkout_links.core.links.ids import link_rand_of_event
from checkout_links.core.orders import indexes as indexing
from checkout_links.core.outbox import scripts
from checkout_links.core.records import Event, EventState
from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.connection import Redis

MAX_BACKOFF_SECONDS = 6 * 3600


def backoff_bounds(attempts: int, base_seconds: float) -> tuple[float, float]:
    """Shortest and longest delay (seconds) after failed attempt number ``attempts``."""
    delay = min(base_seconds * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)
    return delay / 2, delay


def backoff_ms(attempts: int, base_seconds: float) -> int:
    """Delay before attempt ``attempts + 1``: exponential, capped at 6 h, jitter in [50%, 100%]."""
    low, high = backoff_bounds(attempts, base_seconds)
    return int(random.uniform(low, high) * 1000)


def retry_at(
    attempts: int, created_ms: int, done_ms: int, retry_seconds: int, base_seconds: float
) -> int | None:
    """When a failed delivery (webhook or receipt) is tried again, or ``None`` once its order
    is older than the retry window (``CHECKOUT_WEBHOOK_RETRY_SECONDS``)."""
    if done_ms - created_ms > retry_seconds * 1000:
        return None
    return done_ms + backoff_ms(attempts, base_seconds)


def _fields(fields: Mapping[Any, Any] | None) -> dict[str, str]:
    return {text(k): text(v) for k, v in (fields or {}).items()}


class Outbox:
    """The Redis side of webhook delivery, for one worker (scripts loaded once).

    Every method takes the shards to work on: a worker only looks at the
    shards its doorbells rang for (see ``orders/indexes.py`` and ``worker/deliverer.py``).
    """

    def __init__(
        self,
        client: Redis,
        consumer: str,
        lease_ms: int,
        order_retention_ms: int,
        *,
        receipts: bool = False,
    ) -> None:
        self.client = client
        self.consumer = consumer
        self.lease_ms = lease_ms
        self.order_retention_ms = order_retention_ms
        #: Whether registering an order's event also schedules its customer receipt.
        self.receipts = receipts
        self._register = client.register_script(scripts.REGISTER)
        self._lease = client.register_script(scripts.LEASE)
        self._renew = client.register_script(scripts.RENEW)
        self._finish = client.register_script(scripts.FINISH)
        self._defer = client.register_script(scripts.DEFER)
        self._pull = client.register_script(scripts.PULL)
        #: Shards whose stream is known to have the consumer group.
        self._grouped: set[int] = set()
        self._sweep_cursors: dict[int, str] = {}

    def ensure_groups(self, shards: Iterable[int]) -> None:
        """Create the consumer group on the streams of ``shards`` not known to have it.

        Idempotent; a shard's stream is created (empty) when it gets its group,
        so only shards a worker visits ever have one.
        """
        todo = [shard for shard in shards if shard not in self._grouped]
        if not todo:
            return
        pipe = self.client.pipeline(transaction=False)
        for shard in todo:
            pipe.xgroup_create(keys.outbox(shard), keys.WEBHOOK_GROUP, id="0", mkstream=True)
        for shard, reply in zip(todo, pipe.execute(raise_on_error=False), strict=True):
            if isinstance(reply, Exception) and "BUSYGROUP" not in str(reply):
                raise reply
            self._grouped.add(shard)

    def read_new(self, shards: Sequence[int], count: int, now_ms: int) -> set[int]:
        """Read and register the new entries of ``shards``; returns those that may have more.

        A stream that lost its group (deleted meanwhile) gets it again and is
        returned too, to be read on the next pass.
        """
        self.ensure_groups(shards)
        pipe = self.client.pipeline(transaction=False)
        for shard in shards:
            pipe.xreadgroup(
                keys.WEBHOOK_GROUP, self.consumer, {keys.outbox(shard): ">"}, count=count
            )
        more: set[int] = set()
        for shard, reply in zip(shards, pipe.execute(raise_on_error=False), strict=True):
            if isinstance(reply, Exception):
                if "NOGROUP" not in str(reply):
                    raise reply
                self._grouped.discard(shard)
                more.add(shard)
                continue
            for _stream, entries in reply or []:
                self.register(shard, entries, now_ms)
                if len(entries) >= count:
                    more.add(shard)
        return more

    def sweep(self, shards: Iterable[int], count: int, now_ms: int) -> int:
        """Register up to ``count`` entries per shard that were read over a lease ago and never
        registered (their reader died in between); each shard's cursor carries on."""
        swept = 0
        for shard in shards:
            try:
                cursor, claimed, *_ = self.client.xautoclaim(
                    keys.outbox(shard),
                    keys.WEBHOOK_GROUP,
                    self.consumer,
                    self.lease_ms,
                    start_id=self._sweep_cursors.get(shard, "0-0"),
                    count=count,
                )
            except redis.exceptions.ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                continue
            self._sweep_cursors[shard] = text(cursor)
            live = [(entry_id, fields) for entry_id, fields in claimed if fields]
            if live:
                swept += len(live)
                self.register(shard, live, now_ms)
        return swept

    def unregistered(self, shards: Sequence[int]) -> set[int]:
        """The shards whose stream has entries read but not yet registered (one round trip)."""
        pipe = self.client.pipeline(transaction=False)
        for shard in shards:
            pipe.xpending(keys.outbox(shard), keys.WEBHOOK_GROUP)
        return {
            shard
            for shard, reply in zip(shards, pipe.execute(raise_on_error=False), strict=True)
            if isinstance(reply, dict) and reply.get("pending")
        }

    def register(self, shard: int, entries: Sequence[tuple[Any, Any]], now_ms: int) -> int:
        """Make read outbox entries (id, fields) due and acknowledge them; returns how many.

        Orders of shards beyond the first 16 are indexed again (idempotently),
        so an order whose placing process died before its index step is listed
        all the same.
        """
        args: list[Any] = [keys.WEBHOOK_GROUP, now_ms, "1" if self.receipts else "0"]
        event_keys = []
        index = self.client.pipeline(transaction=False)
        for entry_id, fields in entries:
            field = _fields(fields)
            event_id = field.get("event_id")
            if event_id is None:
                # Not an event (or deleted meanwhile): acknowledged with nothing to send.
                self.client.xack(keys.outbox(shard), keys.WEBHOOK_GROUP, entry_id)
                continue
            args += [text(entry_id), event_id]
            event_keys.append(keys.event(link_rand_of_event(event_id)))
            # Entries of the first 16 shards were indexed by their spend, and entries
            # written before the index step carry no creation time: nothing to repeat.
            if "order_ms" in field and not keys.holds_its_part(shard):
                # A payment event: its order was indexed with its own order.created.
                indexing.queue_event(
                    index,
                    shard=shard,
                    merchant_id=field["merchant_id"],
                    event_id=event_id,
                    at_ms=int(field["created_ms"]),
                )
            elif "created_ms" in field and not keys.holds_its_part(shard):
                created_ms = int(field["created_ms"])
                indexing.queue_index(
                    index,
                    shard=shard,
                    merchant_id=field["merchant_id"],
                    order_id=field["order_id"],
                    event_id=event_id,
                    created_ms=created_ms,
                    ref_digest=field.get("ref") or None,
                    keep_until_ms=created_ms + self.order_retention_ms,
                )
        if not event_keys:
            return 0
        registered = int(
            self._register(
                keys=[
                    keys.retries(shard),
                    keys.outbox_entries(shard),
                    keys.outbox(shard),
                    keys.receipts_due(shard),
                    *event_keys,
                ],
                args=args,
            )
        )
        index.execute()
        return registered

    def lease(self, shard: int, event_id: str, now_ms: int) -> dict[Any, Any] | None:
        """Take the event for one attempt if it is due and free: its raw record, else ``None``."""
        rand = link_rand_of_event(event_id)
        reply = self._lease(
            keys=[
                keys.delivery_lock(rand),
                keys.event(rand),
                keys.retries(shard),
                keys.outbox(shard),
                keys.outbox_entries(shard),
            ],
            args=[
                self.consumer,
                self.lease_ms,
                now_ms,
                event_id,
                scripts.WEBHOOK_FIELDS,
                keys.WEBHOOK_GROUP,
            ],
        )
        if text(reply[0]) != "ok":
            return None
        flat = reply[1]
        return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}

    def renew(self, shard: int, event_id: str, now_ms: int) -> bool:
        """Extend this worker's lease on an event in flight; ``False`` if it was lost."""
        rand = link_rand_of_event(event_id)
        return bool(
            self._renew(
                keys=[keys.delivery_lock(rand), keys.retries(shard)],
                args=[self.consumer, self.lease_ms, now_ms + self.lease_ms, event_id],
            )
        )

    def finish(
        self,
        shard: int,
        record: Event,
        *,
        state: EventState,
        next_ms: int | None,
        attempts: int,
        done_ms: int | None,
        status: int | None,
        error: str | None,
    ) -> bool:
        """Record an attempt's outcome and release the lease; ``False`` if a redelivery won.

        A retry is also noted in the merchant's retry set (so
        :meth:`pull_forward` finds it) and rung for, so a worker wakes for it.
        """
        rand = link_rand_of_event(record.id)
        recorded = bool(
            self._finish(
                keys=[
                    keys.event(rand),
                    keys.retries(shard),
                    keys.outbox(shard),
                    keys.outbox_entries(shard),
                    keys.delivery_lock(rand),
                ],
                args=[
                    record.id,
                    record.redeliveries,
                    state,
                    "" if next_ms is None else next_ms,
                    attempts,
                    "" if done_ms is None else done_ms,
                    "" if status is None else status,
                    error or "",
                    keys.WEBHOOK_GROUP,
                    self.consumer,
                ],
            )
        )
        retries = keys.merchant_retries(keys.part_of(shard), record.merchant_id)
        pipe = self.client.pipeline(transaction=False)
        if recorded and next_ms is not None:
            pipe.zadd(retries, {record.id: next_ms})
            indexing.queue_ring(pipe, shard, next_ms)
        else:
            pipe.zrem(retries, record.id)
        pipe.execute()
        return recorded

    def defer(self, shard: int, event_id: str, until_ms: int) -> None:
        """Push a due event to ``until_ms`` without an attempt (never earlier, never leased)."""
        rand = link_rand_of_event(event_id)
        self._defer(
            keys=[keys.retries(shard), keys.event(rand), keys.delivery_lock(rand)],
            args=[event_id, until_ms],
        )

    def pull_forward(self, merchant_id: str, now_ms: int, batch: int = 500) -> int:
        """Make every waiting retry of the merchant due now; returns how many moved."""
        moved = 0
        for part in range(keys.INDEX_PARTS):
            retries = keys.merchant_retries(part, merchant_id)
            members: list[Any] = list(self.client.zrange(retries, 0, -1))  # without scores
            ids = [text(i) for i in members]
            for start in range(0, len(ids), batch):
                chunk = ids[start : start + batch]
                pipe = self.client.pipeline(transaction=False)
                for event_id in chunk:
                    rand = link_rand_of_event(event_id)
                    due = keys.retries(keys.shard_of(rand))
                    self._pull(
                        keys=[keys.event(rand), due, keys.delivery_lock(rand)],
                        args=[event_id, now_ms],
                        client=pipe,
                    )
                pulled = [
                    event_id for event_id, ok in zip(chunk, pipe.execute(), strict=True) if int(ok)
                ]
                moved += len(pulled)
                # What moved is due now (ring its shards); what did not is no longer waiting.
                done = set(chunk) - set(pulled)
                pipe = self.client.pipeline(transaction=False)
                if done:
                    pipe.zrem(retries, *done)
                for shard in {keys.shard_of(link_rand_of_event(e)) for e in pulled}:
                    indexing.queue_ring(pipe, shard)
                pipe.execute()
        return moved

    def trim(self, shards: Iterable[int]) -> None:
        """Cut the outboxes of ``shards`` below their oldest entry still needed (live or
        unacknowledged).

        Entries are removed one by one when their event is done; this only
        clears what older versions acknowledged without removing.
        """
        for shard in shards:
            stream = keys.outbox(shard)
            pipe = self.client.pipeline(transaction=False)
            pipe.xinfo_groups(stream)
            pipe.xpending(stream, keys.WEBHOOK_GROUP)
            pipe.zrange(keys.outbox_entries(shard), 0, 0, withscores=True)
            try:
                groups, pending, live = pipe.execute()
            except redis.exceptions.ResponseError:
                continue  # no stream, or no group: nothing to trim
            group = next((g for g in groups if text(g["name"]) == keys.WEBHOOK_GROUP), None)
            if group is None:
                continue
            bounds = [text(group["last-delivered-id"])]
            if pending and pending.get("pending"):
                bounds.append(text(pending["min"]))
            if live:
                # By its millisecond: members of one millisecond sort as text ("-10" < "-2").
                bounds.append(f"{int(live[0][1])}-0")
            floor = min(bounds, key=lambda e: tuple(int(p) for p in e.split("-")))
            if floor != "0-0":
                self.client.xtrim(stream, minid=floor, approximate=False)
