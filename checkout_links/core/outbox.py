"""The webhook delivery state in Redis: intake, leases, outcomes, circuits, trimming.

An event moves through these keys (all of one shard share its hash tag):

* the shard's **outbox stream** gets an entry with the order (``ledger.py``);
* a worker reads it with the consumer group and **registers** it: the event
  joins the shard's ``due`` set, its entry id joins the ``live`` set and the
  event hash, and only then is the entry acknowledged. A worker killed between
  the read and the registration leaves the entry pending in the group; any
  worker's sweep (``XAUTOCLAIM``) registers it again;
* an attempt **leases** the event (``SET NX PX``) and moves its due score to
  the lease's end, so other workers skip it without asking; a heartbeat renews
  both while the request is in flight;
* the **outcome** is written in one script: attempts, state, the next due time
  (and the merchant's retry set), or, once ``delivered`` or ``dead``, the
  removal of the outbox entry (``XDEL``) and its ``live`` mark.

So an outbox entry is removed only when its event is delivered or dead, and
:meth:`Outbox.trim` never cuts below the oldest ``live`` or unacknowledged
entry, whatever any clock says.

Each merchant endpoint's circuit is in ``endpoints.py``; when it closes,
:meth:`Outbox.pull_forward` makes the merchant's waiting retries due at once.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import redis.exceptions

from checkout_links.core import keys
from checkout_links.core.ids import link_rand_of_event
from checkout_links.core.records import Event
from checkout_links.core.store import Redis

MAX_BACKOFF_SECONDS = 6 * 3600


def backoff_bounds(attempts: int, base_seconds: float) -> tuple[float, float]:
    """Shortest and longest delay (seconds) after failed attempt number ``attempts``."""
    delay = min(base_seconds * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)
    return delay / 2, delay


def backoff_ms(attempts: int, base_seconds: float) -> int:
    """Delay before attempt ``attempts + 1``: exponential, capped at 6 h, jitter in [50%, 100%]."""
    low, high = backoff_bounds(attempts, base_seconds)
    return int(random.uniform(low, high) * 1000)


# KEYS: due, live, stream, then one event hash per entry. ARGV: group, now_ms,
# then (entry id, event id) pairs. NX keeps a schedule already there.
_REGISTER = """
local n = 0
for i = 3, #ARGV, 2 do
  local entry, id = ARGV[i], ARGV[i + 1]
  local ev = KEYS[3 + (i - 1) / 2]
  if redis.call('EXISTS', ev) == 1 then
    local state = redis.call('HGET', ev, 'state')
    if state ~= 'delivered' and state ~= 'dead' then
      redis.call('ZADD', KEYS[1], 'NX', ARGV[2], id)
      redis.call('ZADD', KEYS[2], tonumber(string.match(entry, '^(%d+)')), entry)
      redis.call('HSET', ev, 'entry', entry)
      n = n + 1
      redis.call('XACK', KEYS[3], ARGV[1], entry)
    else
      redis.call('XACK', KEYS[3], ARGV[1], entry)
      redis.call('XDEL', KEYS[3], entry)
    end
  else
    redis.call('XACK', KEYS[3], ARGV[1], entry)
    redis.call('XDEL', KEYS[3], entry)
  end
end
return n
"""

# The removal of a finished event's outbox entry, shared by the scripts below.
_FORGET_ENTRY = """
local function forget_entry(ev, stream, live, group)
  local entry = redis.call('HGET', ev, 'entry')
  if entry then
    redis.call('XACK', stream, group, entry)
    redis.call('XDEL', stream, entry)
    redis.call('ZREM', live, entry)
    redis.call('HDEL', ev, 'entry')
  end
end
"""

# KEYS: lock, event, due, stream, live. ARGV: consumer, lease_ms, now_ms, event id, group.
# The due time is judged here, against the record, whoever read the due set
# and however stale that read was: an attempt happens only when its time has come.
_LEASE = (
    _FORGET_ENTRY
    + """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'busy'} end
local state = redis.call('HGET', KEYS[2], 'state')
if state == false or state == 'delivered' or state == 'dead' then
  if state then forget_entry(KEYS[2], KEYS[4], KEYS[5], ARGV[5]) end
  redis.call('ZREM', KEYS[3], ARGV[4])
  redis.call('DEL', KEYS[1])
  return {'done'}
end
local next_ms = tonumber(redis.call('HGET', KEYS[2], 'next_ms') or '') or 0
if next_ms > tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[3], next_ms, ARGV[4])
  redis.call('DEL', KEYS[1])
  return {'later'}
end
redis.call('ZADD', KEYS[3], tonumber(ARGV[3]) + tonumber(ARGV[2]), ARGV[4])
return {'ok', redis.call('HGETALL', KEYS[2])}
"""
)

# KEYS: lock, due. ARGV: consumer, lease_ms, until_ms, event id.
_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'XX', ARGV[3], ARGV[4])
return 1
"""

# Records an attempt's outcome. A redelivery requested while the attempt was in
# flight (its counter moved) keeps the event pending and due at the time the
# redelivery asked for. KEYS: event, due, stream, live, lock, merchant retries.
# ARGV: event id, redeliveries seen, state, next_ms or '', attempts,
# last_attempt_ms, last_status, last_error, group, consumer.
_FINISH = (
    _FORGET_ENTRY
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
redis.call('HSET', KEYS[1], 'attempts', ARGV[5], 'last_attempt_ms', ARGV[6],
           'last_status', ARGV[7], 'last_error', ARGV[8])
if redis.call('GET', KEYS[5]) == ARGV[10] then redis.call('DEL', KEYS[5]) end
if (redis.call('HGET', KEYS[1], 'redeliveries') or '0') ~= ARGV[2] then
  redis.call('ZADD', KEYS[2], tonumber(redis.call('HGET', KEYS[1], 'next_ms')) or 0, ARGV[1])
  return 0
end
redis.call('HSET', KEYS[1], 'state', ARGV[3], 'next_ms', ARGV[4])
if ARGV[4] == '' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[6], ARGV[1])
  forget_entry(KEYS[1], KEYS[3], KEYS[4], ARGV[9])
else
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
  redis.call('ZADD', KEYS[6], ARGV[4], ARGV[1])
end
return 1
"""
)

# Pushes a due event later without attempting it (its endpoint's circuit is
# open, or its merchant has all its deliveries in flight). Never earlier, never
# one that is leased. KEYS: due, event, lock. ARGV: event id, until_ms.
_DEFER = """
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local state = redis.call('HGET', KEYS[2], 'state')
if state == 'pending' or state == 'retrying' then
  redis.call('HSET', KEYS[2], 'next_ms', ARGV[2])
end
return 1
"""

# Makes a waiting retry due now (its endpoint answers again). KEYS: event, due,
# lock. ARGV: event id, now_ms.
_PULL = """
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
if redis.call('HGET', KEYS[1], 'state') ~= 'retrying' then return 0 end
redis.call('HSET', KEYS[1], 'next_ms', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Outbox:
    """The Redis side of webhook delivery, for one worker (scripts loaded once)."""

    def __init__(self, client: Redis, consumer: str, lease_ms: int) -> None:
        self.client = client
        self.consumer = consumer
        self.lease_ms = lease_ms
        self._register = client.register_script(_REGISTER)
        self._lease = client.register_script(_LEASE)
        self._renew = client.register_script(_RENEW)
        self._finish = client.register_script(_FINISH)
        self._defer = client.register_script(_DEFER)
        self._pull = client.register_script(_PULL)

    def ensure_groups(self) -> None:
        """Create the consumer group on every shard stream (idempotent)."""
        for shard in range(keys.SHARDS):
            try:
                self.client.xgroup_create(
                    keys.outbox(shard), keys.WEBHOOK_GROUP, id="0", mkstream=True
                )
            except redis.exceptions.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def sweep(self, cursors: list[str], count: int, now_ms: int) -> int:
        """Register up to ``count`` entries per shard that were read over a lease ago and never
        registered (their reader died in between); ``cursors`` carries on between calls."""
        swept = 0
        for shard in range(keys.SHARDS):
            cursor, claimed, *_ = self.client.xautoclaim(
                keys.outbox(shard),
                keys.WEBHOOK_GROUP,
                self.consumer,
                self.lease_ms,
                start_id=cursors[shard],
                count=count,
            )
            cursors[shard] = _text(cursor)
            live = [(entry_id, fields) for entry_id, fields in claimed if fields]
            if live:
                swept += len(live)
                self.register(shard, live, now_ms)
        return swept

    def register(self, shard: int, entries: Sequence[tuple[Any, Any]], now_ms: int) -> int:
        """Make read outbox entries (id, fields) due and acknowledge them; returns how many."""
        args: list[Any] = [keys.WEBHOOK_GROUP, now_ms]
        event_keys = []
        for entry_id, fields in entries:
            raw = (fields or {}).get(b"event_id") or (fields or {}).get("event_id")
            if raw is None:
                # Not an event (or deleted meanwhile): acknowledged with nothing to send.
                self.client.xack(keys.outbox(shard), keys.WEBHOOK_GROUP, entry_id)
                continue
            event_id = _text(raw)
            args += [_text(entry_id), event_id]
            event_keys.append(keys.event(link_rand_of_event(event_id)))
        if not event_keys:
            return 0
        return int(
            self._register(
                keys=[
                    keys.retries(shard),
                    keys.outbox_entries(shard),
                    keys.outbox(shard),
                    *event_keys,
                ],
                args=args,
            )
        )

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
            args=[self.consumer, self.lease_ms, now_ms, event_id, keys.WEBHOOK_GROUP],
        )
        if _text(reply[0]) != "ok":
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
        state: str,
        next_ms: int | None,
        attempts: int,
        done_ms: int,
        status: int | None,
        error: str | None,
    ) -> bool:
        """Record an attempt's outcome and release the lease; ``False`` if a redelivery won."""
        rand = link_rand_of_event(record.id)
        return bool(
            self._finish(
                keys=[
                    keys.event(rand),
                    keys.retries(shard),
                    keys.outbox(shard),
                    keys.outbox_entries(shard),
                    keys.delivery_lock(rand),
                    keys.merchant_retries(shard, record.merchant_id),
                ],
                args=[
                    record.id,
                    record.redeliveries,
                    state,
                    "" if next_ms is None else next_ms,
                    attempts,
                    done_ms,
                    "" if status is None else status,
                    error or "",
                    keys.WEBHOOK_GROUP,
                    self.consumer,
                ],
            )
        )

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
        for shard in range(keys.SHARDS):
            ids = [
                _text(i)
                for i in self.client.zrange(keys.merchant_retries(shard, merchant_id), 0, -1)
            ]
            for start in range(0, len(ids), batch):
                pipe = self.client.pipeline(transaction=False)
                for event_id in ids[start : start + batch]:
                    rand = link_rand_of_event(event_id)
                    self._pull(
                        keys=[keys.event(rand), keys.retries(shard), keys.delivery_lock(rand)],
                        args=[event_id, now_ms],
                        client=pipe,
                    )
                moved += sum(int(r) for r in pipe.execute())
        return moved

    def trim(self) -> None:
        """Cut each outbox below its oldest entry still needed (live or unacknowledged).

        Entries are removed one by one when their event is done; this only
        clears what older versions acknowledged without removing.
        """
        for shard in range(keys.SHARDS):
            stream = keys.outbox(shard)
            pipe = self.client.pipeline(transaction=False)
            pipe.xinfo_groups(stream)
            pipe.xpending(stream, keys.WEBHOOK_GROUP)
            pipe.zrange(keys.outbox_entries(shard), 0, 0, withscores=True)
            groups, pending, live = pipe.execute()
            group = next((g for g in groups if _text(g["name"]) == keys.WEBHOOK_GROUP), None)
            if group is None:
                continue
            bounds = [_text(group["last-delivered-id"])]
            if pending and pending.get("pending"):
                bounds.append(_text(pending["min"]))
            if live:
                # By its millisecond: members of one millisecond sort as text ("-10" < "-2").
                bounds.append(f"{int(live[0][1])}-0")
            floor = min(bounds, key=lambda e: tuple(int(p) for p in e.split("-")))
            if floor != "0-0":
                self.client.xtrim(stream, minid=floor, approximate=False)
