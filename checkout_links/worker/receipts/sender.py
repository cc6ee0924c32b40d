"""The worker's receipt deliverer: takes due receipts, sends them, records the outcome.

The worker calls :meth:`ReceiptSender.dispatch` once per pass with the shards
it looks at; each due receipt is leased (``core/outbox/receipts.py``) and sent
in the worker's thread pool, at most :data:`SLOTS` at once, so receipts never
take the webhooks' slots. Retries follow the webhooks' backoff exactly
(:func:`~checkout_links.core.outbox.webhooks.retry_at` with
``CHECKOUT_WEBHOOK_RETRY_BASE_SECONDS``) and stop once the order is older than
``CHECKOUT_WEBHOOK_RETRY_SECONDS``; a 5xx for the recipient or the message
fails at once (``worker/receipts/smtp.py``).

Logs carry the event id, the attempt, the outcome and the error kept (an SMTP
code and our own words): never an address, a name or what the server said.
"""

from __future__ import annotations

import email.errors
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future

from prometheus_client import Counter

from checkout_links.core.errors import NotFound, StoreUnavailable
from checkout_links.core.merchants.account import seller_of
from checkout_links.core.merchants.payment import instructions_of
from checkout_links.core.orders.queries import load_order
from checkout_links.core.outbox.receipts import ReceiptOutbox
from checkout_links.core.outbox.webhooks import retry_at
from checkout_links.core.records import ReceiptState
from checkout_links.core.services import Services
from checkout_links.worker.receipts.message import build_receipt
from checkout_links.worker.receipts.smtp import Sent, send

log = logging.getLogger(__name__)

#: Receipts one worker sends at once (on top of its webhook slots).
SLOTS = 4
#: SMTP network steps one attempt may wait on (connect, EHLO, STARTTLS, EHLO, AUTH,
#: MAIL, RCPT, DATA and its end, QUIT): the lease outlasts them all at their timeout.
STEPS = 10

Submit = Callable[[Callable[[], None]], "Future[None]"]


def _now_ms() -> int:
    return int(time.time() * 1000)


class ReceiptSender:
    """Receipt delivery for one worker; does nothing when SMTP is not configured."""

    def __init__(self, svc: Services, consumer: str, counter: Counter | None = None) -> None:
        self.svc = svc
        self.settings = svc.settings
        self.server = svc.settings.smtp
        self.mail_from = svc.settings.mail_from or ""
        self.timeout = svc.settings.smtp_timeout_seconds
        self.counter = counter
        lease_ms = int(self.timeout * 1000 * STEPS) + 5_000
        self.outbox = ReceiptOutbox(svc.redis, consumer, lease_ms)
        self._lock = threading.Lock()
        self._in_flight: set[str] = set()
        self._futures: set[Future[None]] = set()

    @property
    def owed(self) -> bool:
        """Whether placed orders are owed a receipt (SMTP is configured)."""
        return self.server is not None

    def dispatch(self, shards: Iterable[int], now_ms: int, submit: Submit) -> int:
        """Lease the due receipts of ``shards`` while a slot is free and hand each to
        ``submit`` (the worker's pool); returns how many attempts it started."""
        with self._lock:
            free = SLOTS - len(self._in_flight)
        if not self.owed or free <= 0:
            return 0
        started = 0
        for _score, shard, event_id in self.outbox.due(shards, now_ms, free):
            if started >= free:
                break
            with self._lock:
                if event_id in self._in_flight:
                    continue
            raw = self.outbox.lease(shard, event_id, now_ms)
            if raw is None:
                continue
            with self._lock:
                self._in_flight.add(event_id)
                future = submit(functools.partial(self._attempt, shard, event_id, raw))
                self._futures.add(future)
            future.add_done_callback(self._forget)
            started += 1
        return started

    def wait(self) -> None:
        """Block until no receipt attempt is in flight."""
        with self._lock:
            futures = list(self._futures)
        for future in futures:
            future.result()

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    # One attempt, in a pool thread

    def _attempt(self, shard: int, event_id: str, raw: dict[str, str]) -> None:
        try:
            attempts = int(raw.get("receipt_attempts") or 0) + 1
            created_ms = int(raw.get("created_ms") or 0)
            result = self._send(event_id, raw)
            done_ms = _now_ms()
            next_ms: int | None = None
            if result.outcome == "retry":
                next_ms = retry_at(
                    attempts,
                    created_ms,
                    done_ms,
                    self.settings.webhook_retry_seconds,
                    self.settings.webhook_retry_base_seconds,
                )
            state: ReceiptState
            if result.outcome == "sent":
                state = "sent"
            else:
                state = "retrying" if next_ms is not None else "failed"
            self.outbox.finish(
                shard,
                event_id,
                state=state,
                next_ms=next_ms,
                attempts=attempts,
                done_ms=done_ms,
                error=result.error,
            )
            if self.counter is not None:
                self.counter.labels(outcome=state).inc()
            log.info(
                "receipt attempt",
                extra={
                    "event_id": event_id,
                    "attempt": attempts,
                    "outcome": state,
                    "error": result.error,
                },
            )
        except StoreUnavailable as exc:
            # The lease lapses and the receipt is attempted again (at least once).
            log.warning("receipt: Redis error", extra={"error": exc.cause_name})
        except Exception as exc:
            # Only the exception's type: its text may hold an address.
            log.error(
                "receipt attempt crashed",
                extra={"event_id": event_id, "error": type(exc).__name__},
            )
        finally:
            with self._lock:
                self._in_flight.discard(event_id)

    def _send(self, event_id: str, raw: dict[str, str]) -> Sent:
        assert self.server is not None  # dispatch leases nothing otherwise
        try:
            order = load_order(self.svc.redis, self.svc.keyring, raw["order_id"])
            merchant = self.svc.merchants.get(raw["merchant_id"])
        except NotFound:
            return Sent("failed", "order or merchant no longer exists")
        if not order.customer.email:
            return Sent("failed", "no customer email address")
        if not order.customer.email.rpartition("@")[0].isascii():
            # Stored before such mailboxes were refused at input (core/schemas.py:
            # check_email): writing to one needs SMTPUTF8 all the way, so it is not tried.
            return Sent("failed", "the customer's mailbox is not ASCII (needs SMTPUTF8): skipped")
        payment = order.payment
        # A manual order still awaiting payment gets its order confirmation, with the
        # seller's instructions; every other order its receipt.
        instructions = (
            instructions_of(merchant)
            if payment is not None and payment.provider == "manual" and payment.status == "pending"
            else None
        )
        try:
            message = build_receipt(
                order,
                seller_of(merchant),
                event_id=event_id,
                mail_from=self.mail_from,
                instructions=instructions,
            )
        except (ValueError, IndexError, email.errors.MessageError) as exc:
            return Sent("failed", f"cannot write the message ({type(exc).__name__})")
        return send(message, self.server, self.timeout)
