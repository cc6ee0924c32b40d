"""The order's payment transitions, each one atomic and idempotent Redis step.

:class:`OrderPayments` records what happened to an order's payment: paid, a
failed attempt, a refund, a cancellation. Each method reads the order,
computes the change (``payments/state.py``) and writes it with ``step.lua``:
the order is replaced only if it is still the one the change was computed
from (compared whole), together with exactly one event (its outbox entry
and delivery record, so the worker sends ``order.paid`` etc. like
``order.created``), and the order leaves the shard's payments-due index when
it is settled. If the order moved meanwhile (another report, another worker)
the step writes nothing and the method computes again from the new order, so
concurrent reports of one fact yield one change and one event; a repeat
changes nothing and emits nothing.

Every key of the step carries the order's shard hash tag, so it runs as one
script on Redis Cluster too. In the first 16 shards the step also writes the
merchant's event index and rings the doorbell; beyond them those live in
another slot and follow right after (idempotent; the worker indexes the event
again from its outbox entry, as it does for ``order.created``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from checkout_links.core.crypto.encoding import text
from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import InvalidToken, NotFound, StoreUnavailable
from checkout_links.core.links.ids import event_id_for, link_rand_of_order
from checkout_links.core.orders import indexes as indexing
from checkout_links.core.orders.queries import parse_rfc3339_ms, with_payment
from checkout_links.core.orders.sealed import read_stored, unseal
from checkout_links.core.payments import state
from checkout_links.core.primitives.jsonutil import dumps
from checkout_links.core.records import Order
from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.connection import Redis
from checkout_links.core.storage.lua import script

log = logging.getLogger(__name__)

STEP = script("checkout_links.core.payments", "step")
#: Attempts of one transition against concurrent changes of the same order.
MAX_TRIES = 16


@dataclass(frozen=True, slots=True)
class Transition:
    """What a transition did: the order as it now is, and the event it emitted (if any)."""

    order: Order
    #: ``False`` for a repeat: nothing was written, no event emitted.
    changed: bool
    event_id: str | None = None


def _now_ms() -> int:
    return int(time.time() * 1000)


class OrderPayments:
    """Record payment outcomes on orders (the transitions of ``payments/state.py``)."""

    def __init__(self, client: Redis, keyring: KeyRing, order_retention_seconds: int) -> None:
        self.client = client
        #: Opens the customer's personal data of the order a transition answers with.
        self.keyring = keyring
        self.order_retention_ms = order_retention_seconds * 1000
        self._step = client.register_script(STEP)

    def record_paid(
        self,
        order_id: str,
        *,
        amount: Decimal,
        currency: str,
        reference: str,
        at_ms: int | None = None,
    ) -> Transition:
        """The order was paid by payment ``reference``: ``pending`` (or ``canceled``) becomes
        ``paid`` and ``order.paid`` is emitted once.

        :class:`~checkout_links.core.errors.PaymentMismatch` when ``amount`` or
        ``currency`` differ from the order's (never marked paid);
        :class:`~checkout_links.core.errors.DuplicatePayment` when it is already
        paid by another reference; the same reference again changes nothing.
        """
        when = at_ms or _now_ms()
        return self._run(
            order_id, lambda order: state.paid(order, amount, currency, reference, when), when
        )

    def record_failed(self, order_id: str, *, attempt: str, at_ms: int | None = None) -> Transition:
        """A payment attempt failed (``attempt``: the PSP's id of it, e.g. a charge id): the
        order stays ``pending`` and ``order.payment_failed`` is emitted once per attempt."""
        when = at_ms or _now_ms()
        return self._run(order_id, lambda order: state.failed(order, attempt, when), when)

    def record_refund(
        self,
        order_id: str,
        *,
        amount: Decimal | None,
        reference: str,
        at_ms: int | None = None,
    ) -> Transition:
        """A refund ``reference`` of ``amount`` (``None``: all that is left) was made:
        ``partially_refunded`` or ``refunded``, ``order.refunded`` emitted once per reference.

        :class:`~checkout_links.core.errors.Conflict` when the order is not paid,
        :class:`~checkout_links.core.errors.ValidationFailed` for more than is left.
        """
        when = at_ms or _now_ms()
        return self._run(
            order_id, lambda order: state.refunded(order, amount, reference, when), when
        )

    def cancel(
        self, order_id: str, *, reason: str = "merchant", at_ms: int | None = None
    ) -> Transition:
        """Cancel a ``pending`` order (``reason``: ``merchant`` or ``expired``); emits
        ``order.canceled`` once. Paid orders: :class:`~checkout_links.core.errors.Conflict`."""
        when = at_ms or _now_ms()
        return self._run(order_id, lambda order: state.canceled(order, reason, when), when)

    def _run(
        self, order_id: str, compute: Callable[[Order], state.Change | None], at_ms: int
    ) -> Transition:
        try:
            link_rand = link_rand_of_order(order_id)
        except InvalidToken as exc:
            raise NotFound(f"No order {order_id!r}.") from exc
        order_key = keys.order(link_rand)
        for _ in range(MAX_TRIES):
            raw = self.client.get(order_key)
            if raw is None:
                raise NotFound(f"No order {order_id!r}.")
            blob = raw.encode() if isinstance(raw, str) else raw
            # As stored: the sealed personal data is carried over unopened (orders/sealed.py).
            order = with_payment(read_stored(blob))
            change = compute(order)
            if change is None:
                return Transition(with_payment(unseal(self.keyring, blob)), False)
            event_id = self._write(link_rand, blob, order, change, at_ms)
            if event_id is not None:
                opened = with_payment(unseal(self.keyring, dumps(change.order)))
                return Transition(opened, True, event_id)
        raise StoreUnavailable("The order kept changing; try again.")

    def _write(
        self, link_rand: bytes, blob: bytes, order: Order, change: state.Change, at_ms: int
    ) -> str | None:
        """Write ``change`` if the order is still ``blob``; the new event's id, or ``None``."""
        shard = keys.shard_of(link_rand)
        event_rand = os.urandom(keys.RAND_BYTES - 2) + shard.to_bytes(2, "big")
        event_id = event_id_for(event_rand)
        created_ms = _created_ms(order)
        step_keys = [
            keys.order(link_rand),
            keys.outbox(shard),
            keys.event(event_rand),
            keys.payments_due(shard),
        ]
        indexed = keys.holds_its_part(shard)
        if indexed:
            part = keys.part_of(shard)
            step_keys += [
                keys.event_index(part, order.merchant_id),
                keys.shard_merchants(part),
                keys.doorbell(part),
                keys.doorbell_rings(part),
            ]
        payment = change.order.payment
        reply = text(
            self._step(
                keys=step_keys,
                args=[
                    blob,
                    dumps(change.order),
                    event_id,
                    change.event,
                    order.id,
                    order.merchant_id,
                    at_ms,
                    created_ms + self.order_retention_ms,
                    shard,
                    "1" if change.settled else "0",
                    "1" if change.mail else "0",
                    created_ms,
                    dumps(payment) if payment is not None else "",
                ],
            )
        )
        if reply == "gone":
            raise NotFound(f"No order {order.id!r}.")
        if reply != "ok":
            return None
        if not indexed:
            pipe = self.client.pipeline(transaction=False)
            indexing.queue_event(
                pipe, shard=shard, merchant_id=order.merchant_id, event_id=event_id, at_ms=at_ms
            )
            indexing.queue_ring(pipe, shard)
            try:
                pipe.execute()
            except StoreUnavailable as exc:
                # The event is written: the worker indexes it from its outbox entry.
                log.warning(
                    "payment event written but not yet indexed", extra={"error": exc.cause_name}
                )
        return event_id


def _created_ms(order: Order) -> int:
    """The order's creation time in ms (its ``created_at`` is written to the millisecond)."""
    return parse_rfc3339_ms(order.created_at, "created_at")
