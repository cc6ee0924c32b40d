"""The webhook deliverer (``checkout-links worker``): at-least-once, never two at once.

Each pass, for every outbox shard:

1. read new stream entries with the consumer group (``XREADGROUP``);
2. take over entries a dead worker left pending (``XAUTOCLAIM`` after
   :attr:`Settings.webhook_claim_idle_ms`);
3. attempt events whose retry is due (the shard's ``due`` sorted set).

An attempt holds a lease (``SET NX PX``) on the event, longer than the HTTP
timeout, so two workers never send one event at the same time. The outcome,
the next due time and the ``XACK`` are written together; a worker killed
mid-attempt leaves the entry pending (or due), so another worker sends it
again once the lease has lapsed. Failed attempts back off exponentially with
jitter, for :attr:`Settings.webhook_retry_seconds` (3 days), then the event is
``dead`` until a merchant asks for a redelivery.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from typing import Any

import httpx
import redis.exceptions

from checkout_links import metrics
from checkout_links.core import events, keys
from checkout_links.core.clock import now_iso
from checkout_links.core.encoding import text
from checkout_links.core.errors import NotFound
from checkout_links.core.ids import link_rand_of_event
from checkout_links.core.records import Event
from checkout_links.core.retention import RetentionPass
from checkout_links.core.services import Services
from checkout_links.webhooks import Attempt, deliver, http_client

log = logging.getLogger(__name__)

IDLE_SLEEP = 0.25
MAX_BACKOFF_SECONDS = 6 * 3600
OUTBOX_KEEP_MS = 24 * 3600 * 1000

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# Records an attempt's outcome. A redelivery requested while the attempt was in
# flight (its counter moved) wins: the attempt is counted, but the event stays
# pending and due, so the 202 of POST /events/{id}/redeliver is honoured.
# KEYS: event hash, due set, outbox stream. ARGV: event id, entry id or '',
# redeliveries seen at load, state, next_ms or '', attempts, last_attempt_ms,
# last_status, last_error, group.
_FINISH = """
if ARGV[2] ~= '' then redis.call('XACK', KEYS[3], ARGV[10], ARGV[2]) end
-- The record reached its retention during the attempt: HSET would recreate it without a TTL.
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) return 0 end
redis.call('HSET', KEYS[1], 'attempts', ARGV[6], 'last_attempt_ms', ARGV[7],
           'last_status', ARGV[8], 'last_error', ARGV[9])
if (redis.call('HGET', KEYS[1], 'redeliveries') or '0') ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[4], 'next_ms', ARGV[5])
if ARGV[5] == '' then redis.call('ZREM', KEYS[2], ARGV[1])
else redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1]) end
return 1
"""


def backoff_ms(attempts: int, base_seconds: float) -> int:
    """Delay before attempt ``attempts + 1``: exponential, capped, with jitter in [50%, 100%]."""
    delay = min(base_seconds * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)
    return int(delay * random.uniform(0.5, 1.0) * 1000)


class Worker:
    """One webhook worker process (or thread, in tests)."""

    def __init__(self, svc: Services, consumer: str | None = None) -> None:
        self.svc = svc
        self.redis = svc.redis
        self.settings = svc.settings
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.http: httpx.Client = http_client(self.settings.webhook_timeout_seconds)
        self.lease_ms = int((self.settings.webhook_timeout_seconds + 10) * 1000)
        self._release = self.redis.register_script(_RELEASE)
        self._finish = self.redis.register_script(_FINISH)
        self._last_claim = 0.0
        # CHECKOUT_WEBHOOK_CLAIM_IDLE_MS (default 30 s): tests that kill a
        # worker mid-attempt need the takeover sooner.
        self.claim_idle_ms = self.settings.webhook_claim_idle_ms
        self.retention = RetentionPass(self.redis, self.settings.order_retention_seconds)

    def ensure_groups(self) -> None:
        """Create the consumer group on every shard stream (idempotent)."""
        for shard in range(keys.SHARDS):
            try:
                self.redis.xgroup_create(
                    keys.outbox(shard), keys.WEBHOOK_GROUP, id="0", mkstream=True
                )
            except redis.exceptions.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def run(self, stop: threading.Event) -> None:
        """Deliver until ``stop`` is set; Redis outages are waited out, not fatal."""
        log.info("webhook worker started", extra={"consumer": self.consumer})
        groups_ready = False
        while not stop.is_set():
            try:
                if not groups_ready:
                    self.ensure_groups()
                    groups_ready = True
                done = self.step()
            except redis.exceptions.RedisError as exc:
                log.warning("worker: Redis error, retrying", extra={"error": type(exc).__name__})
                stop.wait(1.0)
                continue
            if not done:
                stop.wait(IDLE_SLEEP)
        self.http.close()
        log.info("webhook worker stopped", extra={"consumer": self.consumer})

    def step(self) -> int:
        """One pass over all shards; returns how many events it attempted."""
        attempted = 0
        pipe = self.redis.pipeline(transaction=False)
        for shard in range(keys.SHARDS):
            pipe.xreadgroup(keys.WEBHOOK_GROUP, self.consumer, {keys.outbox(shard): ">"}, count=20)
        for shard, reply in enumerate(pipe.execute()):
            for _stream, entries in reply or []:
                for entry_id, fields in entries:
                    attempted += self._handle(shard, fields, entry_id)
        if time.monotonic() - self._last_claim > self.claim_idle_ms / 3000:
            self._last_claim = time.monotonic()
            attempted += self._claim_abandoned()
            self._trim_outbox()
        self.retention.tick()  # at most once a minute: expired index members, old entries
        now_ms = int(time.time() * 1000)
        pipe = self.redis.pipeline(transaction=False)
        for shard in range(keys.SHARDS):
            pipe.zrangebyscore(keys.retries(shard), "-inf", now_ms, start=0, num=20)
        for shard, due in enumerate(pipe.execute()):
            for event_id in due:
                attempted += self._attempt(shard, text(event_id), entry_id=None, due=True)
        return attempted

    def _trim_outbox(self) -> None:
        """Drop outbox entries older than :data:`OUTBOX_KEEP_MS`.

        Every entry is acknowledged within seconds (delivered, or moved to the
        due set), and a dead worker's entries are claimed within
        ``webhook_claim_idle_ms``, so a day-old entry is history: the delivery
        record and the order keep what the merchant API shows.
        """
        min_id = f"{int(time.time() * 1000) - OUTBOX_KEEP_MS}-0"
        pipe = self.redis.pipeline(transaction=False)
        for shard in range(keys.SHARDS):
            pipe.xtrim(keys.outbox(shard), minid=min_id, approximate=False)
        pipe.execute()

    def _claim_abandoned(self) -> int:
        attempted = 0
        for shard in range(keys.SHARDS):
            _next, claimed, *_ = self.redis.xautoclaim(
                keys.outbox(shard), keys.WEBHOOK_GROUP, self.consumer, self.claim_idle_ms, count=20
            )
            for entry_id, fields in claimed:
                if fields:
                    metrics.WEBHOOK_CLAIMED.inc()
                    attempted += self._handle(shard, fields, entry_id)
        return attempted

    def _handle(self, shard: int, fields: dict[Any, Any], entry_id: Any) -> int:
        raw = fields.get(b"event_id") or fields.get("event_id")
        event_id = text(raw) if raw is not None else ""
        return self._attempt(shard, event_id, entry_id=entry_id, due=False)

    def _attempt(self, shard: int, event_id: str, *, entry_id: Any, due: bool) -> int:
        rand = link_rand_of_event(event_id)
        lock = keys.delivery_lock(rand)
        if not self.redis.set(lock, self.consumer, nx=True, px=self.lease_ms):
            return 0
        try:
            return self._attempt_locked(shard, event_id, rand, entry_id, due)
        finally:
            self._release(keys=[lock], args=[self.consumer])

    def _attempt_locked(
        self, shard: int, event_id: str, rand: bytes, entry_id: Any, due: bool
    ) -> int:
        record = events.load(self.redis, event_id)
        now_ms = int(time.time() * 1000)
        pipe = self.redis.pipeline(transaction=True)
        if entry_id is not None:
            pipe.xack(keys.outbox(shard), keys.WEBHOOK_GROUP, entry_id)
        if record is None or record.state in ("delivered", "dead"):
            pipe.zrem(keys.retries(shard), event_id)
            pipe.execute()
            return 0
        if not due and record.next_ms is not None and record.next_ms > now_ms:
            pipe.zadd(keys.retries(shard), {event_id: record.next_ms})
            pipe.execute()
            return 0
        pipe.reset()  # the outcome, the next due time and the XACK go in _FINISH
        attempt = self._send(record)
        attempts = record.attempts + 1
        done_ms = int(time.time() * 1000)
        next_ms: int | str = ""
        if attempt.ok:
            state = "delivered"
            metrics.WEBHOOK_LAG.observe((done_ms - record.created_ms) / 1000)
        elif done_ms - record.created_ms > self.settings.webhook_retry_seconds * 1000:
            state = "dead"
            metrics.WEBHOOK_DEAD.inc()
        else:
            state = "retrying"
            next_ms = done_ms + backoff_ms(attempts, self.settings.webhook_retry_base_seconds)
        self._finish(
            keys=[keys.event(rand), keys.retries(shard), keys.outbox(shard)],
            args=[
                event_id,
                entry_id if entry_id is not None else "",
                record.redeliveries,
                state,
                next_ms,
                attempts,
                done_ms,
                attempt.status or "",
                attempt.error or "",
                keys.WEBHOOK_GROUP,
            ],
        )
        outcome = "ok" if attempt.ok else "failed"
        metrics.WEBHOOK_ATTEMPTS.labels(outcome=outcome).inc()
        log.info(
            "webhook attempt",
            extra={
                "event_id": event_id,
                "attempt": attempts,
                "outcome": outcome,
                "status": attempt.status,
                "error": attempt.error,
                "duration_ms": attempt.duration_ms,
            },
        )
        return 1

    def _send(self, record: Event) -> Attempt:
        try:
            merchant = self.svc.merchants.get(record.merchant_id)
        except NotFound:
            return Attempt(False, None, "merchant no longer exists", 0)
        url = merchant.webhook_url
        if not url:
            return Attempt(False, None, "no webhook URL configured", 0)
        return deliver(
            self.http,
            url,
            event_id=record.id,
            body=events.body(self.redis, record),
            secrets=merchant.active_secrets(now_iso()),
            allow_private=self.settings.allow_private_webhooks,
        )
