"""One webhook attempt's outcome: the request and its durable record, for the deliverer."""

from __future__ import annotations

import logging
import threading
import time

import httpx

from checkout_links import metrics
from checkout_links.core.config import Settings
from checkout_links.core.errors import NotFound, StoreUnavailable
from checkout_links.core.outbox import events
from checkout_links.core.outbox.webhooks import Outbox, retry_at
from checkout_links.core.primitives.clock import now_iso
from checkout_links.core.records import Event, EventState
from checkout_links.core.services import Services
from checkout_links.worker.webhook_request import Attempt, deliver

log = logging.getLogger("checkout_links.worker.deliverer")


def record_outcome(
    outbox: Outbox,
    settings: Settings,
    shard: int,
    record: Event,
    attempt: Attempt,
    *,
    counted: bool,
    stopping: threading.Event,
    lease_ms: int,
) -> None:
    """Write the outcome; through a Redis outage it is kept and written once Redis is back.

    While stopping, it gives up after one lease: the event is then attempted
    again by another worker (at least once).
    """
    created_ms = record.created_ms
    attempts = record.attempts + (1 if counted else 0)
    done_ms = int(time.time() * 1000)
    next_ms: int | None = None
    state: EventState
    if attempt.skipped:
        state = "skipped"
        metrics.WEBHOOK_SKIPPED.inc()
    elif attempt.ok:
        state = "delivered"
        metrics.WEBHOOK_LAG.observe((done_ms - created_ms) / 1000)
    else:
        next_ms = retry_at(
            attempts,
            created_ms,
            done_ms,
            settings.webhook_retry_seconds,
            settings.webhook_retry_base_seconds,
        )
        state = "retrying" if next_ms is not None else "dead"
        if next_ms is None:
            metrics.WEBHOOK_DEAD.inc()
    failing_since: float | None = None
    wait = 0.2
    while True:
        try:
            outbox.finish(
                shard,
                record,
                state=state,
                next_ms=next_ms,
                attempts=attempts,
                # A skipped event had no attempt: its last attempt stays as it was.
                done_ms=None if attempt.skipped else done_ms,
                status=attempt.status,
                error=attempt.error,
            )
            break
        except StoreUnavailable as exc:
            failing_since = failing_since or time.monotonic()
            if stopping.is_set() and (time.monotonic() - failing_since > lease_ms / 1000):
                raise
            log.warning("worker: cannot record an outcome yet", extra={"error": exc.cause_name})
            time.sleep(wait)
            wait = min(wait * 2, 2.0)
    if counted:
        outcome = "ok" if attempt.ok else "failed"
        metrics.WEBHOOK_ATTEMPTS.labels(outcome=outcome).inc()
        log.info(
            "webhook attempt",
            extra={
                "event_id": record.id,
                "attempt": attempts,
                "outcome": outcome,
                "status": attempt.status,
                "error": attempt.error,
                "duration_ms": attempt.duration_ms,
            },
        )


def send(svc: Services, http: httpx.Client, record: Event) -> Attempt:
    """Send ``record``'s webhook to its merchant's endpoint (one attempt)."""
    try:
        merchant = svc.merchants.get(record.merchant_id)
    except NotFound:
        return Attempt(False, None, "merchant no longer exists", 0)
    url = merchant.webhook_url
    if not url:
        return Attempt(False, None, "no webhook URL configured", 0, skipped=True)
    return deliver(
        http,
        url,
        event_id=record.id,
        body=events.body(svc.redis, svc.keyring, record),
        secrets=merchant.active_secrets(now_iso()),
        allow_private=svc.settings.allow_private_webhooks,
    )
