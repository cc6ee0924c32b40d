"""Orders: building the record at checkout and reading it back for merchants.

An order lives in its link's shard. Each shard keeps a per-merchant sorted
set of order ids by creation time; listing merges the shards newest first.
The cursor is ``<created ms>.<order id>`` of the last item returned.
"""

from __future__ import annotations

import re

import msgspec

from checkout_links.core import keys
from checkout_links.core.clock import iso_ms
from checkout_links.core.encoding import text
from checkout_links.core.errors import InvalidToken, NotFound, ValidationFailed
from checkout_links.core.ids import link_rand_of_order
from checkout_links.core.links import total_of
from checkout_links.core.messages import INVALID
from checkout_links.core.records import Customer, Line, Order
from checkout_links.core.store import Redis
from checkout_links.core.tokens import LinkPayload

_decode_order = msgspec.json.Decoder(Order).decode


def build_order(
    *,
    order_id: str,
    link_id: str,
    payload: LinkPayload,
    lines: tuple[Line, ...],
    customer: Customer,
    created_ms: int,
) -> Order:
    """The order record as stored; :meth:`Order.public` is what the API and webhooks show."""
    return Order(
        id=order_id,
        link_id=link_id,
        merchant_id=payload.merchant_id,
        created_at=iso_ms(created_ms),
        currency=payload.currency,
        total=total_of(lines),
        lines=lines,
        customer=customer,
        additional_data=dict(payload.additional_data or {}),
        external_ref=payload.external_ref,
        locale=payload.locale,
    )


def load_order(client: Redis, order_id: str) -> Order:
    """The stored order by id, whoever's it is; :class:`NotFound` if there is none."""
    try:
        link_rand = link_rand_of_order(order_id)
    except InvalidToken:
        raise NotFound(f"No order {order_id!r}.") from None
    raw = client.get(keys.order(link_rand))
    if raw is None:
        raise NotFound(f"No order {order_id!r}.")
    return _decode_order(raw)


def get_order(client: Redis, merchant_id: str, order_id: str) -> Order:
    """One order of ``merchant_id``; another merchant's order is :class:`NotFound`."""
    order = load_order(client, order_id)
    if order.merchant_id != merchant_id:
        raise NotFound(f"No order {order_id!r}.")
    return order


def _parse_cursor(cursor: str | None) -> tuple[float, str]:
    if not cursor:
        return float("inf"), ""
    score, _, order_id = cursor.partition(".")
    if not re.fullmatch(r"[0-9]{1,16}", score) or not order_id:
        raise ValidationFailed(
            INVALID,
            errors=[{"loc": ["query", "cursor"], "msg": "Send the next_cursor of a page as is."}],
        )
    return float(score), order_id


def merge_index_page(
    client: Redis, index_keys: list[str], cursor: str | None, limit: int
) -> tuple[list[str], str | None]:
    """One page of ids, newest first, merged over per-shard time-scored sorted sets."""
    max_score, after_id = _parse_cursor(cursor)
    upper = "+inf" if max_score == float("inf") else int(max_score)
    # Items at exactly the cursor's millisecond are filtered by id below, so
    # ask each shard for enough to cover a few ties as well as a full page.
    want = limit + 1 + 16
    pipe = client.pipeline(transaction=False)
    for key in index_keys:
        pipe.zrevrangebyscore(key, upper, "-inf", start=0, num=want, withscores=True)
    candidates: list[tuple[float, str]] = []
    for rows in pipe.execute():
        for member, score in rows:
            oid = text(member)
            if score < max_score or (score == max_score and oid < after_id):
                candidates.append((score, oid))
    candidates.sort(reverse=True)
    page = candidates[:limit]
    next_cursor = None
    if len(candidates) > limit:
        score, oid = page[-1]
        next_cursor = f"{int(score)}.{oid}"
    return [oid for _, oid in page], next_cursor


def list_orders(
    client: Redis, merchant_id: str, cursor: str | None, limit: int
) -> tuple[list[Order], str | None]:
    """One page of the merchant's orders, newest first, merged over all shards."""
    index_keys = [keys.order_index(shard, merchant_id) for shard in range(keys.SHARDS)]
    page, next_cursor = merge_index_page(client, index_keys, cursor, limit)
    orders: list[Order] = []
    if page:
        pipe = client.pipeline(transaction=False)
        for oid in page:
            pipe.get(keys.order(link_rand_of_order(oid)))
        orders = [_decode_order(raw) for raw in pipe.execute() if raw is not None]
    return orders, next_cursor
