"""Orders: reading them back for merchants (``orders/build.py`` builds the record).

An order lives in its link's shard. Each of the 16 index parts keeps a
per-merchant sorted set of order ids by creation time (and one per
``external_ref``; see ``orders/indexes.py``); listing merges the 16 parts newest
first, so a page costs the same whatever ``CHECKOUT_LEDGER_SHARDS`` is. The
cursor is ``<created ms>.<order id>`` of the last item returned. Orders
expire ``CHECKOUT_ORDER_RETENTION_SECONDS`` after they were created (see
``ledger/store.py`` and ``orders/retention.py``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import msgspec

from checkout_links.core.crypto.encoding import text
from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import FieldError, InvalidToken, NotFound, ValidationFailed
from checkout_links.core.i18n.messages import INVALID
from checkout_links.core.links.ids import link_rand_of_order
from checkout_links.core.orders.build import no_payment
from checkout_links.core.orders.numbers import parse_number
from checkout_links.core.orders.sealed import unseal
from checkout_links.core.records import Order
from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.connection import Redis

AnOrder = TypeVar("AnOrder", bound=Order)


def with_payment(order: AnOrder) -> AnOrder:
    """``order``, or, stored before payments existed, with the payment of provider ``none``
    (``not_required``), which it had."""
    if order.payment is None:
        return msgspec.structs.replace(order, payment=no_payment(order.currency))
    return order


def decode_order(keyring: KeyRing, raw: bytes | str) -> Order:
    """An order from its Redis value: personal data opened (``orders/sealed.py``), payment
    filled in (:func:`with_payment`)."""
    return with_payment(unseal(keyring, raw))


def load_order(client: Redis, keyring: KeyRing, order_id: str) -> Order:
    """The stored order by id, whoever's it is, its personal data opened
    (``orders/sealed.py``); :class:`NotFound` if there is none."""
    try:
        link_rand = link_rand_of_order(order_id)
    except InvalidToken as exc:
        raise NotFound(f"No order {order_id!r}.") from exc
    raw = client.get(keys.order(link_rand))
    if raw is None:
        raise NotFound(f"No order {order_id!r}.")
    return decode_order(keyring, raw)


def find_by_number(client: Redis, keyring: KeyRing, merchant_id: str, number: str) -> Order | None:
    """The merchant's order with this number (written leniently, ``orders/numbers.py``), or
    ``None``. Two reads: the number's key in the shard the number names, then the order."""
    parsed = parse_number(number)
    if parsed is None:
        return None
    canonical, shard = parsed
    order_id = client.get(keys.order_number(shard, merchant_id, canonical))
    if order_id is None:
        return None
    try:
        order = load_order(client, keyring, text(order_id))
    except NotFound:
        return None
    return order if order.merchant_id == merchant_id and order.number == canonical else None


def get_order(client: Redis, keyring: KeyRing, merchant_id: str, order_id: str) -> Order:
    """One order of ``merchant_id``; another merchant's order is :class:`NotFound`."""
    order = load_order(client, keyring, order_id)
    if order.merchant_id != merchant_id:
        raise NotFound(f"No order {order_id!r}.")
    return order


_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(?:[Zz]|([+-])([0-9]{2}):([0-9]{2}))"
)
_EPOCH_DAY = date(1970, 1, 1).toordinal()
#: Days in 400 Gregorian years: the calendar repeats after them.
_CYCLE_DAYS = 146_097


def _epoch_seconds(match: re.Match[str]) -> int | None:
    """The whole seconds since the epoch that a matched date-time names, or ``None``."""
    year, month, day, hour, minute, second = (int(match[n]) for n in range(1, 7))
    offset_hours, offset_minutes = int(match[9] or 0), int(match[10] or 0)
    if hour > 23 or minute > 59 or second > 60 or offset_hours > 23 or offset_minutes > 59:
        return None
    try:
        # RFC 3339 allows year 0000 (a leap year), datetime.date does not: count it
        # as year 400, one calendar cycle later, and step the cycle back.
        days = date(year or 400, month, day).toordinal() - (_CYCLE_DAYS if year == 0 else 0)
    except ValueError:
        return None
    offset = (offset_hours * 60 + offset_minutes) * 60 * (-1 if match[8] == "-" else 1)
    seconds = (days - _EPOCH_DAY) * 86_400 + hour * 3600 + minute * 60 + second - offset
    # A leap second is 23:59:60 in UTC, never another time; like POSIX time,
    # it counts as the first second of the next day.
    if second == 60 and (seconds - 1) % 86_400 != 86_399:
        return None
    return seconds


def parse_rfc3339_ms(value: str, field: str) -> int:
    """``value`` as milliseconds since the epoch, rounded up to the next whole millisecond.

    Rounding up makes both bounds exact on millisecond creation times: an
    order at ``m`` ms is ``>= t`` and ``< t`` exactly when ``m >= ceil(t)`` and
    ``m < ceil(t)``. Takes what JSON Schema's ``date-time`` takes (any number
    of fraction digits, a leap second, year 0000), and a space for the ``T``.
    Anything else is :class:`ValidationFailed` naming ``field``.
    """
    match = _RFC3339.fullmatch(value)
    seconds = _epoch_seconds(match) if match else None
    if match is None or seconds is None:
        raise ValidationFailed(
            f"{field} must be an RFC 3339 date-time with an offset, e.g. 2026-11-27T18:00:00Z.",
            errors=[FieldError(("query", field), "must be an RFC 3339 date-time")],
        )
    fraction = match[7] or ""
    # Rounded up: any digit past the millisecond that is not 0 adds one.
    ms = int(fraction[:3].ljust(3, "0")) + (1 if fraction[3:].strip("0") else 0)
    return seconds * 1000 + ms


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Which orders a listing or an export covers: ``created_gte <= created < created_lt``."""

    created_gte_ms: int | None = None
    created_lt_ms: int | None = None
    external_ref: str | None = None


def _parse_cursor(cursor: str | None) -> tuple[float, str]:
    if not cursor:
        return float("inf"), ""
    score, _, order_id = cursor.partition(".")
    if not re.fullmatch(r"[0-9]{1,16}", score) or not order_id:
        raise ValidationFailed(
            INVALID,
            errors=[FieldError(("query", "cursor"), "Send the next_cursor of a page as is.")],
        )
    return float(score), order_id


def merge_index_page(
    client: Redis,
    index_keys: list[str],
    cursor: str | None,
    limit: int,
    *,
    min_ms: int | None = None,
    below_ms: int | None = None,
) -> tuple[list[str], str | None]:
    """One page of ids, newest first, merged over time-scored sorted sets (the index parts).

    Covers members scored ``min_ms <= score < below_ms`` (either bound may be
    left open) that come after ``cursor`` in (score, id) descending order.
    """
    cursor_ms, after_id = _parse_cursor(cursor)
    upper = float("inf") if below_ms is None else float(below_ms)
    ties = cursor_ms < upper
    upper = min(upper, cursor_ms)
    top = "+inf" if upper == float("inf") else f"({int(upper)}"
    bottom = "-inf" if min_ms is None else str(min_ms)
    if ties and min_ms is not None and cursor_ms < min_ms:
        ties = False
    pipe = client.pipeline(transaction=False)
    for key in index_keys:
        # Members sharing the cursor's millisecond are read whole (there are
        # only as many as one part takes in one millisecond) and filtered by
        # id, so a page never skips any of them however many there are.
        if ties:
            pipe.zrevrangebyscore(key, int(cursor_ms), int(cursor_ms), withscores=True)
        pipe.zrevrangebyscore(key, top, bottom, start=0, num=limit + 1, withscores=True)
    candidates: list[tuple[float, str]] = []
    for n, rows in enumerate(pipe.execute()):
        tie_rows = ties and n % 2 == 0
        for member, score in rows:
            oid = text(member)
            if not tie_rows or oid < after_id:
                candidates.append((score, oid))
    candidates.sort(reverse=True)
    page = candidates[:limit]
    next_cursor = None
    if len(candidates) > limit:
        score, oid = page[-1]
        next_cursor = f"{int(score)}.{oid}"
    return [oid for _, oid in page], next_cursor


def list_orders(
    client: Redis,
    keyring: KeyRing,
    merchant_id: str,
    cursor: str | None,
    limit: int,
    filters: OrderFilter | None = None,
    *,
    retention_seconds: int | None = None,
) -> tuple[list[Order], str | None]:
    """One page of the merchant's orders, newest first, merged over the 16 index parts.

    With ``retention_seconds`` index members older than the retention (whose
    orders have expired, not yet trimmed by the worker) are not even read.
    """
    filters = filters or OrderFilter()
    ref = filters.external_ref
    digest = keys.ref_digest(ref) if ref else None
    index_keys = [
        keys.ref_index(part, merchant_id, digest) if digest else keys.order_index(part, merchant_id)
        for part in range(keys.INDEX_PARTS)
    ]
    min_ms = filters.created_gte_ms
    if retention_seconds is not None:
        oldest_kept = int(time.time() * 1000) - retention_seconds * 1000
        min_ms = oldest_kept if min_ms is None else max(min_ms, oldest_kept)
    page, next_cursor = merge_index_page(
        client, index_keys, cursor, limit, min_ms=min_ms, below_ms=filters.created_lt_ms
    )
    orders: list[Order] = []
    if page:
        pipe = client.pipeline(transaction=False)
        for oid in page:
            pipe.get(keys.order(link_rand_of_order(oid)))
        orders = [decode_order(keyring, raw) for raw in pipe.execute() if raw is not None]
    if ref:
        # The ref index is keyed by a digest of the reference: check the real one.
        orders = [order for order in orders if order.external_ref == ref]
    return orders, next_cursor


def iter_orders(
    client: Redis,
    keyring: KeyRing,
    merchant_id: str,
    filters: OrderFilter | None = None,
    *,
    retention_seconds: int | None = None,
    batch: int = 500,
) -> Iterator[Order]:
    """Every order of the merchant that ``filters`` covers, newest first.

    Pages through :func:`list_orders`, so it holds one batch at a time however
    many orders there are (the export streams from it).
    """
    cursor: str | None = None
    while True:
        page, cursor = list_orders(
            client,
            keyring,
            merchant_id,
            cursor,
            batch,
            filters,
            retention_seconds=retention_seconds,
        )
        yield from page
        if cursor is None:
            return
