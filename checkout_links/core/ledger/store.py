"""The Redis ledger: the one place a link becomes spent or revoked.

A link has one mark key. Absent: open. ``r``: revoked. ``o|<order>|<request>``:
spent by the order. Spending writes the mark, the order, the outbox event and
its delivery record in one Lua script, over keys that share the link's shard
hash tag, so it is atomic on a single Redis and on Redis Cluster alike, and
revoke and spend exclude each other because both claim the same mark. The
same step gives the order and its event record their retention TTL
(``CHECKOUT_ORDER_RETENTION_SECONDS``); the mark keeps its own, shorter one.
In the first 16 shards it also writes the merchant's indexes and rings the
doorbell; beyond them those live in another slot and follow in a second,
idempotent step (``orders/indexes.py``, ``ledger/scripts.py``).

Spending, revoking and the merchant's status judge expiry against the Redis
server's clock (``TIME``), so every app instance agrees on it whatever its own
clock says. The cart page only shows the state: it reads the mark alone
(:meth:`Ledger.mark`) and judges expiry by its own clock (``links/status.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
from redis.cluster import RedisCluster

from checkout_links.core.crypto.encoding import text
from checkout_links.core.errors import StoreUnavailable
from checkout_links.core.ledger import scripts
from checkout_links.core.links.status import MarkState
from checkout_links.core.orders import indexes as indexing
from checkout_links.core.promotions.codes import Reservation
from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.connection import Redis

log = logging.getLogger(__name__)


def _indexed(link_rand: bytes) -> bool:
    return keys.holds_its_part(keys.shard_of(link_rand))


@dataclass(frozen=True, slots=True)
class Mark:
    """What the ledger knows about one link."""

    state: MarkState
    order_id: str | None = None
    request_id: str | None = None

    @classmethod
    def parse(cls, raw: bytes | str | None) -> Mark:
        if raw is None:
            return cls("open")
        mark = text(raw)
        if mark == "r":
            return cls("revoked")
        if mark == "x":
            return cls("expired")
        _, order_id, request_id = mark.split("|", 2)
        return cls("spent", order_id, request_id)


class SpendRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Everything one spend writes: the link's mark, its order and its outbox event."""

    link_rand: bytes
    #: The link's expiry (Unix seconds), judged by the Redis server's clock.
    link_expires_at: int
    merchant_id: str
    order_id: str
    #: The order record as stored (``orders/build.py``).
    order_json: bytes
    created_ms: int
    #: The checkout form's nonce: the same attempt sent again carries the same id.
    request_id: str
    event_id: str
    external_ref: str | None = None
    #: A held promotion redemption the order uses (``promotions/codes.py``).
    reservation: Reservation | None = None
    #: The order's number (``orders/numbers.py``), unique per merchant: the spend refuses
    #: (``number``) when the merchant has it already.
    number: str | None = None
    #: For an order awaiting payment: when its payment window ends (ms).
    payment_due_ms: int | None = None
    #: Whether the ``order.created`` event emails the customer (not for card payments,
    #: whose receipt goes when paid).
    mail: bool = True


@dataclass(frozen=True, slots=True)
class SpendResult:
    """Outcome of :meth:`Ledger.spend`, with the link's mark after it.

    ``placed``; ``taken`` (the mark found: spent or revoked); ``expired``
    (by the Redis server's clock; the mark says ``expired``, nothing is
    stored); ``void`` (its promotion reservation was settled meanwhile; the
    link stays open); ``number`` (the merchant has an order with this number:
    nothing is stored, spend again with another).
    """

    outcome: Literal["placed", "taken", "expired", "void", "number"]
    mark: Mark


class Ledger:
    """Spend, revoke and read link marks; the scripts are loaded once per client."""

    def __init__(
        self, client: Redis, clock_skew: int, retention: int, order_retention: int
    ) -> None:
        self.client = client
        self.clock_skew = clock_skew
        self.retention = retention
        self.order_retention_ms = order_retention * 1000
        self._spend = client.register_script(scripts.SPEND)
        self._spend_promoted = client.register_script(scripts.SPEND_PROMOTED)
        self._spend_indexed = client.register_script(scripts.SPEND_INDEXED)
        self._spend_promoted_indexed = client.register_script(scripts.SPEND_PROMOTED_INDEXED)
        self._revoke = client.register_script(scripts.REVOKE)
        self._read = client.register_script(scripts.READ)

    def mark_expires_at(self, link_expires_at: int) -> int:
        """Keep a mark past the link's expiry (skew margin) plus the status retention."""
        return link_expires_at + self.clock_skew + self.retention

    def read(self, link_rand: bytes) -> tuple[Mark, int]:
        """The link's mark and the Redis server's time (one round trip)."""
        seconds, raw = self._read(keys=[keys.link_mark(link_rand)])
        return Mark.parse(raw), int(seconds)

    def mark(self, link_rand: bytes) -> Mark:
        """The link's mark alone: a plain ``GET``, for pages that only show it."""
        return Mark.parse(self.client.get(keys.link_mark(link_rand)))

    def spend(self, spend: SpendRequest) -> SpendResult:
        """Atomically mark the link spent and write its order and outbox event.

        Either everything is written or nothing is; a link already marked (by
        this request's earlier attempt, another order or a revocation) is
        reported as ``taken`` with the mark found. The order and its event
        record expire ``order_retention`` seconds after ``created_ms``. With a
        promotion ``reservation``, a spend whose reservation was settled
        meanwhile is refused as ``void``; a placed one records the reservation.
        """
        script_keys, args = self._spend_call(spend)
        script = self._script_for(spend)
        result = self._spend_outcome(script(keys=script_keys, args=args), spend)
        if result.outcome == "placed" and not _indexed(spend.link_rand):
            pipe = self.client.pipeline(transaction=False)
            self._queue_index(pipe, spend)
            try:
                pipe.execute()
            except StoreUnavailable as exc:
                # The order is placed: the worker indexes it from its outbox entry
                # and its census rings the shard, so nothing is lost but time.
                log.warning("order placed but not yet indexed", extra={"error": exc.cause_name})
        return result

    def _queue_index(self, pipe: Any, spend: SpendRequest) -> None:
        """Queue the index step of a placed spend in a shard beyond the first 16."""
        shard = keys.shard_of(spend.link_rand)
        ref = spend.external_ref
        indexing.queue_index(
            pipe,
            shard=shard,
            merchant_id=spend.merchant_id,
            order_id=spend.order_id,
            event_id=spend.event_id,
            created_ms=spend.created_ms,
            ref_digest=keys.ref_digest(ref) if ref else None,
            keep_until_ms=spend.created_ms + self.order_retention_ms,
        )
        indexing.queue_ring(pipe, shard)

    def _script_for(self, spend: SpendRequest) -> Any:
        """The spend script: with the promotion guard when a reservation is redeemed, and with
        the index step when the shard's index part shares its slot."""
        plain = spend.reservation is None
        if _indexed(spend.link_rand):
            return self._spend_indexed if plain else self._spend_promoted_indexed
        return self._spend if plain else self._spend_promoted

    def spend_many(self, spends: Sequence[SpendRequest]) -> list[SpendResult]:
        """Spend many links, each as :meth:`spend` does, pipelined (bulk loads).

        Every spend goes in one round trip, then the index steps of those
        placed beyond the first 16 shards in another. On Redis Cluster, whose
        pipelines take no scripts, one at a time.
        """
        if isinstance(self.client, RedisCluster):
            return [self.spend(spend) for spend in spends]
        pipe = self.client.pipeline(transaction=False)
        for spend in spends:
            script_keys, args = self._spend_call(spend)
            self._script_for(spend)(keys=script_keys, args=args, client=pipe)
        replies = pipe.execute()
        results = [self._spend_outcome(r, s) for r, s in zip(replies, spends, strict=True)]
        for spend, result in zip(spends, results, strict=True):
            if result.outcome == "placed" and not _indexed(spend.link_rand):
                self._queue_index(pipe, spend)
        pipe.execute()
        return results

    def _spend_call(self, spend: SpendRequest) -> tuple[list[str], list[Any]]:
        link_rand, reservation = spend.link_rand, spend.reservation
        shard = keys.shard_of(link_rand)
        script_keys = [
            keys.link_mark(link_rand),
            keys.order(link_rand),
            keys.outbox(shard),
            keys.event(link_rand),
            keys.order_number(shard, spend.merchant_id, spend.number or ""),
            keys.payments_due(shard),
        ]
        if reservation is not None:
            script_keys += reservation.spend_keys()
        ref = keys.ref_digest(spend.external_ref) if spend.external_ref else ""
        if _indexed(link_rand):
            part = keys.part_of(shard)
            script_keys += [
                keys.order_index(part, spend.merchant_id),
                keys.event_index(part, spend.merchant_id),
                keys.shard_merchants(part),
                keys.doorbell(part),
                keys.doorbell_rings(part),
            ]
            if ref:
                script_keys.append(keys.ref_index(part, spend.merchant_id, ref))
        args: list[Any] = [
            spend.request_id,
            spend.link_expires_at,
            spend.order_id,
            self.mark_expires_at(spend.link_expires_at),
            spend.order_json,
            spend.created_ms,
            spend.event_id,
            spend.merchant_id,
            spend.created_ms + self.order_retention_ms,
            ref,
            shard,
            spend.number or "",
            "" if spend.payment_due_ms is None else spend.payment_due_ms,
            "1" if spend.mail else "0",
        ]
        if reservation is not None:
            args.append(reservation.id)
        return script_keys, args

    @staticmethod
    def _spend_outcome(reply: list[Any], spend: SpendRequest) -> SpendResult:
        """The :class:`SpendResult` of one reply of the spend script for ``spend``."""
        outcome = text(reply[0])
        if outcome == "taken":
            return SpendResult("taken", Mark.parse(reply[1]))
        if outcome == "expired":
            return SpendResult("expired", Mark("expired"))
        if outcome == "void":
            return SpendResult("void", Mark("open"))
        if outcome == "number":
            return SpendResult("number", Mark("open"))
        return SpendResult("placed", Mark("spent", spend.order_id, spend.request_id))

    def revoke(self, link_rand: bytes, link_expires_at: int) -> Mark:
        """Mark the link revoked unless it is already marked or expired.

        Returns the mark now in place, or ``Mark("expired")`` for an expired
        open link, which is left as it is (there is nothing left to revoke).
        """
        raw = self._revoke(
            keys=[keys.link_mark(link_rand)],
            args=[self.mark_expires_at(link_expires_at), link_expires_at],
        )
        return Mark.parse(raw)
