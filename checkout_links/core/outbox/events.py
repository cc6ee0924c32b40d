"""Order events and their delivery state, for the worker and the merchant API.

The ``order.created`` event is written with its order (see ``ledger/store.py``): a
stream entry in the order's shard (the outbox) plus a delivery record hash.
An event due for another attempt sits in its shard's ``due`` sorted set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast, get_args

import msgspec

from checkout_links.core.crypto.encoding import text
from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import InvalidToken, NotFound
from checkout_links.core.links.ids import link_rand_of_event
from checkout_links.core.orders import indexes as indexing
from checkout_links.core.orders.queries import load_order, merge_index_page
from checkout_links.core.outbox.receipts import state_of as receipt_state
from checkout_links.core.primitives.clock import iso_ms
from checkout_links.core.primitives.jsonutil import dumps
from checkout_links.core.records import (
    Event,
    EventBody,
    EventState,
    EventType,
    EventView,
    Payment,
    Receipt,
    ReceiptView,
)
from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.connection import Redis


def _int(value: str) -> int | None:
    # The worker writes '' for "none yet" (HSET has no null).
    return int(value) if value else None


def from_hash(raw: Mapping[bytes | str, bytes | str]) -> Event:
    """The delivery record from its Redis hash (``HGETALL`` reply, bytes or str)."""
    h = {text(k): text(v) for k, v in raw.items()}
    return Event(
        id=h["id"],
        type=cast(EventType, h["type"]),  # written by our scripts only
        order_id=h["order_id"],
        merchant_id=h["merchant_id"],
        created_ms=int(h["created_ms"]),
        state=cast(EventState, h["state"]),  # written by our scripts only
        attempts=_int(h.get("attempts", "")) or 0,
        next_ms=_int(h.get("next_ms", "")),
        last_attempt_ms=_int(h.get("last_attempt_ms", "")),
        last_status=_int(h.get("last_status", "")),
        last_error=h.get("last_error") or None,
        redeliveries=_int(h.get("redeliveries", "")) or 0,
        receipt=receipt_state(h),
    )


def load(client: Redis, event_id: str) -> Event | None:
    """The delivery record of ``event_id``, or ``None``."""
    try:
        rand = link_rand_of_event(event_id)
    except InvalidToken:
        return None
    raw = client.hgetall(keys.event(rand))
    return from_hash(raw) if raw else None


def merchants_of(client: Redis, event_ids: list[str]) -> dict[str, tuple[str, int]]:
    """``(merchant id, created_ms)`` of each event that still has a record (one round trip)."""
    pipe = client.pipeline(transaction=False)
    for event_id in event_ids:
        pipe.hmget(keys.event(link_rand_of_event(event_id)), ["merchant_id", "created_ms"])
    out: dict[str, tuple[str, int]] = {}
    for event_id, (merchant, created) in zip(event_ids, pipe.execute(), strict=True):
        if merchant is not None:
            out[event_id] = (text(merchant), int(created or 0))
    return out


def public_view(record: Event) -> EventView:
    """An event as ``GET /api/v1/events`` shows it."""
    return EventView(
        id=record.id,
        type=record.type,
        order_id=record.order_id,
        created_at=iso_ms(record.created_ms),
        state=record.state,
        attempts=record.attempts,
        last_attempt_at=iso_ms(record.last_attempt_ms) if record.last_attempt_ms else None,
        last_status=record.last_status or None,
        last_error=record.last_error,
        next_attempt_at=iso_ms(record.next_ms) if record.next_ms else None,
        receipt=_receipt_view(record.receipt) if record.receipt else None,
    )


def _receipt_view(receipt: Receipt) -> ReceiptView:
    return ReceiptView(
        state=receipt.state,
        attempts=receipt.attempts,
        last_attempt_at=iso_ms(receipt.last_attempt_ms) if receipt.last_attempt_ms else None,
        next_attempt_at=iso_ms(receipt.next_ms) if receipt.next_ms else None,
        last_error=receipt.last_error,
    )


_decode_payment = msgspec.json.Decoder(Payment).decode


def body(client: Redis, keyring: KeyRing, record: Event) -> bytes:
    """The JSON body sent for an event: the same bytes on every attempt (until the
    customer's personal data is erased).

    ``data`` is the order with its payment as the event left it: a payment
    event's snapshot (written with it, ``payments/transitions.py``); for
    ``order.created``, the payment the order was placed with.
    """
    order = load_order(client, keyring, record.order_id)
    created_at = order.created_at
    if record.type == "order.created":
        payment = initial_of(order.payment)
    else:
        created_at = iso_ms(record.created_ms)
        snapshot = client.hget(keys.event(link_rand_of_event(record.id)), "payment")
        payment = _decode_payment(snapshot) if snapshot else order.payment
    order = msgspec.structs.replace(order, payment=payment)
    return dumps(
        EventBody(id=record.id, type=record.type, created_at=created_at, data=order.public())
    )


def initial_of(payment: Payment | None) -> Payment | None:
    """The payment as it was when its order was placed (before any transition)."""
    if payment is None or payment.status in ("not_required", "pending"):
        return msgspec.structs.replace(payment, failed_attempts=()) if payment else None
    zero = payment.amount_paid - payment.amount_paid
    if payment.due_by is None:  # paid at placement: a total of zero
        return msgspec.structs.replace(payment, amount_refunded=zero, refunds=())
    return msgspec.structs.replace(
        payment,
        status="pending",
        amount_paid=zero,
        amount_refunded=zero,
        reference=None,
        paid_at=None,
        canceled_at=None,
        cancel_reason=None,
        refunds=(),
        failed_attempts=(),
    )


def get_for(client: Redis, merchant_id: str, event_id: str) -> Event:
    """One event of ``merchant_id``; another merchant's event is :class:`NotFound`."""
    record = load(client, event_id)
    if record is None or record.merchant_id != merchant_id:
        raise NotFound(f"No event {event_id!r}.")
    return record


#: The delivery states a merchant can filter ``GET /api/v1/events`` by.
STATES: tuple[EventState, ...] = get_args(EventState)
#: Index entries looked at for one filtered page: a page may hold fewer items
#: than asked for (even none) while ``next_cursor`` says there is more to see.
MAX_SCANNED = 1000


def list_events(
    client: Redis,
    merchant_id: str,
    cursor: str | None,
    limit: int,
    *,
    state: str | None = None,
    type_: str | None = None,
) -> tuple[list[EventView], str | None]:
    """Recent events of a merchant, newest first (cursor as for orders), optionally only
    those in delivery ``state`` and of event type ``type_``."""
    index = [keys.event_index(part, merchant_id) for part in range(keys.INDEX_PARTS)]
    items: list[EventView] = []
    scanned = 0
    while True:
        # Ask for no more than the page still needs, so the cursor never skips a match.
        page, cursor = merge_index_page(client, index, cursor, limit - len(items))
        scanned += len(page)
        pipe = client.pipeline(transaction=False)
        for event_id in page:
            pipe.hgetall(keys.event(link_rand_of_event(event_id)))
        for raw in pipe.execute():
            if not raw:
                continue
            record = from_hash(raw)
            if (state is None or record.state == state) and (type_ is None or record.type == type_):
                items.append(public_view(record))
        if cursor is None or len(items) >= limit or scanned >= MAX_SCANNED:
            return items, cursor


def redeliver(client: Redis, merchant_id: str, event_id: str, now_ms: int) -> EventView:
    """Queue an event for another delivery now, whatever its state."""
    record = get_for(client, merchant_id, event_id)
    rand = link_rand_of_event(event_id)
    pipe = client.pipeline(transaction=True)
    pipe.hset(keys.event(rand), mapping={"state": "pending", "next_ms": now_ms})
    # Counted so a worker whose attempt was in flight meanwhile knows not to
    # overwrite this request with that attempt's outcome (see outbox/webhook_finish.lua).
    pipe.hincrby(keys.event(rand), "redeliveries", 1)
    pipe.zadd(keys.retries(keys.shard_of(rand)), {event_id: now_ms})
    pipe.execute()
    # After the transaction (the doorbell may be in another slot): a worker wakes for it.
    indexing.ring(client, {keys.shard_of(rand): 0})
    return public_view(msgspec.structs.replace(record, state="pending", next_ms=now_ms))
