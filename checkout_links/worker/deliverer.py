"""The webhook deliverer (``checkout-links worker``): at-least-once, concurrent, fair.

The workers share the 16 doorbells (``core/orders/indexes.py``): each live worker
heartbeats in one sorted set and takes the doorbells whose number is its
rank modulo the number of workers, so a worker never polls shards that have
nothing to do, however many shards there are. Each pass of the dispatcher,
over the shards its doorbells rang for (see ``core/outbox/webhooks.py``):

1. read new stream entries with the consumer group and register them as due;
2. sweep entries a dead worker read but never registered (``XAUTOCLAIM``
   after ``CHECKOUT_WEBHOOK_CLAIM_IDLE_MS``);
3. take due events, oldest first, while a delivery slot is free, and hand each
   to a pool of :attr:`Settings.webhook_concurrency` threads; due customer
   receipts (when SMTP is configured) get slots of their own (``worker/receipts/sender.py``);
4. settle each shard's doorbell to its next due time, unless it rang again.

A census rings every shard of the worker's doorbells at start and once a
minute, so work whose ring was lost (a process died between placing an order
and ringing) waits a minute at most.

A merchant gets at most :attr:`Settings.webhook_merchant_concurrency` of those
slots, and a merchant whose endpoint failed
:data:`~checkout_links.core.outbox.circuits.CIRCUIT_FAILURES` times in a row
has its circuit opened: its events wait, without attempts, for one probe to
succeed. So a hanging endpoint holds a few slots, never the
worker, and when it answers again its whole backlog is made due at once.

Every attempt holds a lease of ``CHECKOUT_WEBHOOK_CLAIM_IDLE_MS`` that a
heartbeat renews while the request is in flight, so a killed worker's events
are taken over within that time, while a slow request is never sent twice at
once. On SIGTERM the dispatcher stops taking events; the attempts in flight
finish (each within the webhook timeout) and the worker exits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import socket
import threading
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from checkout_links import metrics
from checkout_links.core.crypto.encoding import text
from checkout_links.core.errors import StoreUnavailable
from checkout_links.core.orders import retention
from checkout_links.core.outbox import events, visits
from checkout_links.core.outbox.circuits import Endpoints
from checkout_links.core.outbox.doorbells import Doorbells
from checkout_links.core.outbox.webhooks import Outbox, backoff_bounds, backoff_ms
from checkout_links.core.payments.window import PaymentWindow
from checkout_links.core.records import Event
from checkout_links.core.services import Services
from checkout_links.core.storage import redis_keys as keys
from checkout_links.worker import outcomes
from checkout_links.worker.receipts.sender import SLOTS, ReceiptSender
from checkout_links.worker.stripe_reconcile import Reconciliation
from checkout_links.worker.webhook_request import Attempt, http_client

log = logging.getLogger(__name__)

__all__ = ["Worker", "backoff_bounds", "backoff_ms"]

IDLE_SLEEP = 0.25
#: New entries read per shard and pass, and due events looked at per shard and pass.
READ_COUNT = 100
SCAN_COUNT = 32
#: How long an event waits when its merchant already has all its slots in use.
BUSY_DEFER_MS = 200
#: How often a worker renews its heartbeat and recomputes its doorbells.
MEMBERSHIP_SECONDS = 1.0
#: How often every shard of a worker's doorbells is rung (and its stream trimmed).
CENSUS_SECONDS = 60.0


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True, slots=True)
class _Job:
    shard: int
    event_id: str
    merchant_id: str
    probe: bool = False
    give_up: bool = False


class Worker:
    """One webhook worker process (or an object driven by :meth:`step`, in tests)."""

    def __init__(self, svc: Services, consumer: str | None = None) -> None:
        self.svc = svc
        self.redis = svc.redis
        self.settings = svc.settings
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.concurrency = self.settings.webhook_concurrency
        self.per_merchant = self.settings.webhook_merchant_concurrency
        self.http = http_client(self.settings.webhook_timeout_seconds, self.concurrency)
        # The lease is short because the heartbeat renews it; it is also how long a
        # read but unregistered entry waits before another worker's sweep takes it.
        self.lease_ms = self.settings.webhook_claim_idle_ms
        self.receipts = ReceiptSender(svc, self.consumer, metrics.RECEIPTS)
        #: The sorted sets of a shard whose earliest item its doorbell settles to.
        self._due_sets = [keys.retries] + ([keys.receipts_due] if self.receipts.owed else [])
        self.outbox = Outbox(
            self.redis,
            self.consumer,
            self.lease_ms,
            self.settings.order_retention_seconds * 1000,
            receipts=self.receipts.owed,
        )
        self.endpoints = Endpoints(self.redis, self.consumer)
        self.retention = retention.RetentionPass(self.redis, self.settings.order_retention_seconds)
        self.payment_window = PaymentWindow(
            svc.payments,
            self.settings.payment_window_seconds,
            merchants=svc.merchants,
            keyring=svc.keyring,
        )
        self.stripe_reconciliation = Reconciliation(svc)
        # A probe is one attempt: it may take the whole timeout, not just a lease.
        self._probe_ms = self.lease_ms + int(self.settings.webhook_timeout_seconds * 1000)
        self._pool = ThreadPoolExecutor(self.concurrency + SLOTS, thread_name_prefix="webhook")
        self._lock = threading.Condition()
        self._in_flight: dict[str, _Job] = {}
        self._by_merchant: Counter[str] = Counter()
        self._futures: set[Future[None]] = set()
        self._closing = threading.Event()
        self._stopping = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self.doorbells = Doorbells(
            self.redis, self.consumer, self.lease_ms, self.settings.ledger_shards
        )
        self._last_membership = float("-inf")
        self._last_census = float("-inf")
        #: Shards rung by the census and not yet visited: swept and trimmed on the visit.
        self._census: set[int] = set()

    def ensure_groups(self) -> None:
        """Create the consumer group on every shard's stream now (else made on first visit)."""
        self.outbox.ensure_groups(range(self.doorbells.shard_count))

    def run(self, stop: threading.Event) -> None:
        """Deliver until ``stop`` is set, then finish the attempts in flight and return.

        Redis outages are waited out, never fatal; attempts already in flight
        keep their outcome and record it once Redis answers again.
        """
        log.info("webhook worker started", extra={"consumer": self.consumer})
        while not stop.is_set():
            try:
                started = self._pass()
            except StoreUnavailable as exc:
                log.warning("worker: Redis error, retrying", extra={"error": exc.cause_name})
                stop.wait(1.0)
                continue
            if not started:
                with self._lock:
                    # Woken early when a slot frees up; SIGTERM sets ``stop`` meanwhile.
                    self._lock.wait(IDLE_SLEEP)
        self._stopping.set()
        with self._lock:
            in_flight = len(self._in_flight)
        log.info(
            "webhook worker stopping",
            extra={"consumer": self.consumer, "in_flight": in_flight},
        )
        self.close()
        log.info("webhook worker stopped", extra={"consumer": self.consumer})

    def step(self) -> int:
        """One pass, then wait for the attempts it started; returns how many it started."""
        started = self._pass()
        self.wait_idle()
        return started

    def wait_idle(self) -> None:
        """Block until no attempt (webhook or receipt) is in flight."""
        self.receipts.wait()
        with self._lock:
            futures = list(self._futures)
        for future in futures:
            future.result()

    def close(self) -> None:
        """Finish the attempts in flight, stop the heartbeat and the pool, close HTTP."""
        self.wait_idle()
        self._closing.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        self._pool.shutdown(wait=True)
        self.http.close()
        self.doorbells.leave()

    # The dispatcher

    def _pass(self) -> int:
        now_ms = _now_ms()
        if time.monotonic() - self._last_membership >= MEMBERSHIP_SECONDS:
            if self.doorbells.refresh(now_ms):
                self._last_census = float("-inf")  # doorbells new to this worker: look at all
            self._last_membership = time.monotonic()
        if time.monotonic() - self._last_census >= CENSUS_SECONDS:
            self._last_census = time.monotonic()
            self._census.update(self.doorbells.census())
        seen = self.doorbells.rung(now_ms)
        started = 0
        if seen:
            shards = sorted(seen)
            busy = self.outbox.read_new(shards, READ_COUNT, now_ms)
            unregistered = self.outbox.unregistered(shards)
            self._sweep(shards, unregistered, now_ms)
            started = self._dispatch(shards, now_ms)
            started += self.receipts.dispatch(shards, now_ms, self._pool.submit)
            next_ms = visits.next_times(
                self.outbox, shards, self._due_sets, busy, unregistered, now_ms
            )
            self.doorbells.settle(seen, next_ms)
        self.retention.tick()  # at most once a minute: expired index members
        # Unpaid orders past their window, in the shards of this worker's doorbells.
        self.payment_window.tick(self.doorbells.shards())
        self.stripe_reconciliation.tick()  # at most once a minute: pending card payments
        return started

    def _sweep(self, shards: list[int], unregistered: set[int], now_ms: int) -> None:
        census = [s for s in shards if s in self._census]
        self._census.difference_update(census)
        claimed = visits.recover(
            self.outbox,
            unregistered,
            census,
            now_ms,
            self.settings.order_retention_seconds,
            READ_COUNT,
        )
        if claimed:
            metrics.WEBHOOK_CLAIMED.inc(claimed)

    def _free(self) -> int:
        with self._lock:
            return self.concurrency - len(self._in_flight)

    def _dispatch(self, shards: list[int], now_ms: int) -> int:
        free = self._free()
        if free <= 0:
            return 0
        pipe = self.redis.pipeline(transaction=False)
        for shard in shards:
            pipe.zrangebyscore(
                keys.retries(shard), "-inf", now_ms, start=0, num=SCAN_COUNT, withscores=True
            )
        due = sorted(
            (score, shard, text(member))
            for shard, rows in zip(shards, pipe.execute(), strict=True)
            for member, score in rows
        )
        if not due:
            return 0
        merchants = events.merchants_of(self.redis, [event_id for _, _, event_id in due])
        circuits = self.endpoints.circuits(sorted({m for m, _ in merchants.values() if m}))
        started = 0
        probes: set[str] = set()
        for _score, shard, event_id in due:
            if started >= free:
                break
            merchant_id, created_ms = merchants.get(event_id, ("", 0))
            circuit = circuits.get(merchant_id)
            expired = now_ms - created_ms > self.settings.webhook_retry_seconds * 1000
            probe = False
            give_up = circuit is not None and circuit.open_at(now_ms) and expired
            if circuit is not None and circuit.open_at(now_ms) and not expired:
                self.outbox.defer(shard, event_id, circuit.open_until_ms + random.randrange(500))
                continue
            with self._lock:
                busy = self._by_merchant[merchant_id] >= self.per_merchant
            if busy:
                self.outbox.defer(shard, event_id, now_ms + BUSY_DEFER_MS)
                continue
            if circuit is not None and circuit.probing and not give_up:
                if merchant_id in probes or not self.endpoints.take_probe(
                    merchant_id, self._probe_ms
                ):
                    self.outbox.defer(shard, event_id, now_ms + BUSY_DEFER_MS)
                    continue
                probes.add(merchant_id)
                probe = True
            raw = self.outbox.lease(shard, event_id, now_ms)
            if raw is None:
                if probe:
                    self.endpoints.drop_probe(merchant_id)
                    probes.discard(merchant_id)
                continue
            record = events.from_hash(raw)
            self._submit(_Job(shard, event_id, record.merchant_id, probe, give_up), record)
            started += 1
        return started

    def _submit(self, job: _Job, record: Event) -> None:
        with self._lock:
            self._in_flight[job.event_id] = job
            self._by_merchant[job.merchant_id] += 1
            if self._heartbeat is None:
                self._heartbeat = threading.Thread(
                    target=self._beat, name="webhook-heartbeat", daemon=True
                )
                self._heartbeat.start()
            future = self._pool.submit(self._attempt, job, record)
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def _beat(self) -> None:
        """Renew the leases of the attempts in flight, four times per lease."""
        while not self._closing.wait(self.lease_ms / 4000):
            with self._lock:
                jobs = list(self._in_flight.values())
            if not jobs:
                continue
            now_ms = _now_ms()
            try:
                for job in jobs:
                    if not self.outbox.renew(job.shard, job.event_id, now_ms):
                        log.warning("webhook lease lost", extra={"event_id": job.event_id})
            except StoreUnavailable as exc:
                log.warning("worker: heartbeat failed", extra={"error": exc.cause_name})

    # One attempt, in a pool thread

    def _attempt(self, job: _Job, record: Event) -> None:
        try:
            if job.give_up:
                # Past its retry window while its endpoint's circuit is open: no probe is
                # owed to an event that would be dead after any failure anyway.
                attempt = Attempt(False, None, "endpoint unavailable (circuit open)", 0)
                self._record(job, record, attempt, counted=False)
                return
            attempt = self._send(record)
            if attempt.skipped:
                # No endpoint to fail: no attempt counted, no circuit, no retry.
                self._record(job, record, attempt, counted=False)
                return
            self._record(job, record, attempt, counted=True)
            if attempt.ok:
                if self.endpoints.endpoint_succeeded(job.merchant_id):
                    moved = self.outbox.pull_forward(job.merchant_id, _now_ms())
                    log.info(
                        "webhook endpoint answers again",
                        extra={"merchant_id": job.merchant_id, "made_due": moved},
                    )
            else:
                self.endpoints.endpoint_failed(
                    job.merchant_id, _now_ms(), self.settings.webhook_retry_base_seconds
                )
        except StoreUnavailable as exc:
            log.warning("worker: Redis error after an attempt", extra={"error": exc.cause_name})
        except Exception:
            log.exception("webhook attempt crashed", extra={"event_id": job.event_id})
        finally:
            if job.probe:
                with contextlib.suppress(StoreUnavailable):
                    self.endpoints.drop_probe(job.merchant_id)  # else it lapses on its own
            with self._lock:
                self._in_flight.pop(job.event_id, None)
                self._by_merchant[job.merchant_id] -= 1
                if self._by_merchant[job.merchant_id] <= 0:
                    del self._by_merchant[job.merchant_id]
                self._lock.notify_all()

    def _record(self, job: _Job, record: Event, attempt: Attempt, *, counted: bool) -> None:
        outcomes.record_outcome(
            self.outbox,
            self.settings,
            job.shard,
            record,
            attempt,
            counted=counted,
            stopping=self._stopping,
            lease_ms=self.lease_ms,
        )

    def _send(self, record: Event) -> Attempt:
        return outcomes.send(self.svc, self.http, record)
