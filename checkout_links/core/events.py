"""Order events and their delivery state, for the worker and the merchant API.

The ``order.created`` event is written with its order (see ``ledger.py``): a
stream entry in the order's shard (the outbox) plus a delivery record hash.
An event due for another attempt sits in its shard's ``due`` sorted set.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from checkout_links.core import keys
from checkout_links.core.errors import InvalidToken, NotFound
from checkout_links.core.ids import link_rand_of_event
from checkout_links.core.jsonutil import dumps
from checkout_links.core.orders import load_order, merge_index_page, public
from checkout_links.core.store import Redis

_INT_FIELDS = ("attempts", "created_ms", "next_ms", "last_attempt_ms", "last_status")


def _decode(raw: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.decode() if isinstance(key, bytes) else key
        text = value.decode() if isinstance(value, bytes) else value
        out[name] = int(text) if name in _INT_FIELDS and text != "" else text
    return out


def _iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def load(client: Redis, event_id: str) -> dict[str, Any] | None:
    """The delivery record of ``event_id``, or ``None``."""
    try:
        rand = link_rand_of_event(event_id)
    except InvalidToken:
        return None
    raw = client.hgetall(keys.event(rand))
    return _decode(raw) if raw else None


def public_view(record: dict[str, Any]) -> dict[str, Any]:
    """An event as ``GET /api/v1/events`` shows it."""
    return {
        "id": record["id"],
        "type": record["type"],
        "order_id": record["order_id"],
        "created_at": _iso_ms(record["created_ms"]),
        "state": record["state"],
        "attempts": record.get("attempts", 0),
        "last_attempt_at": (
            _iso_ms(record["last_attempt_ms"]) if record.get("last_attempt_ms") else None
        ),
        "last_status": record.get("last_status") or None,
        "last_error": record.get("last_error") or None,
        "next_attempt_at": _iso_ms(record["next_ms"]) if record.get("next_ms") else None,
    }


def body(client: Redis, record: dict[str, Any]) -> bytes:
    """The JSON body sent for an event: the same bytes on every attempt."""
    order = load_order(client, record["order_id"])
    return dumps(
        {
            "id": record["id"],
            "type": record["type"],
            "created_at": order["created_at"],
            "data": public(order),
        }
    )


def get_for(client: Redis, merchant_id: str, event_id: str) -> dict[str, Any]:
    record = load(client, event_id)
    if record is None or record["merchant_id"] != merchant_id:
        raise NotFound(f"No event {event_id!r}.")
    return record


def list_events(
    client: Redis, merchant_id: str, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Recent events of a merchant, newest first (cursor as for orders)."""
    page, next_cursor = merge_index_page(
        client, [keys.event_index(s, merchant_id) for s in range(keys.SHARDS)], cursor, limit
    )
    pipe = client.pipeline(transaction=False)
    for event_id in page:
        pipe.hgetall(keys.event(link_rand_of_event(event_id)))
    records = [_decode(raw) for raw in pipe.execute() if raw]
    return [public_view(r) for r in records], next_cursor


def redeliver(client: Redis, merchant_id: str, event_id: str, now_ms: int) -> dict[str, Any]:
    """Queue an event for another delivery now, whatever its state."""
    record = get_for(client, merchant_id, event_id)
    rand = link_rand_of_event(event_id)
    pipe = client.pipeline(transaction=True)
    pipe.hset(keys.event(rand), mapping={"state": "pending", "next_ms": now_ms})
    # Counted so a worker whose attempt was in flight meanwhile knows not to
    # overwrite this request with that attempt's outcome (see worker._FINISH).
    pipe.hincrby(keys.event(rand), "redeliveries", 1)
    pipe.zadd(keys.retries(keys.shard_of(rand)), {event_id: now_ms})
    pipe.execute()
    record.update(state="pending", next_ms=now_ms)
    return public_view(record)
