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
idempotent step (``orders/indexes.py``, ``ledger_scripts.py``).

Spending, revoking and the merchant's status judge expiry against the Redis
server's clock (``TIME``), so every app instance agrees on it whatever its own
clock says. The cart page only shows the state: it reads the mark alone
(:meth:`Ledger.mark`) and the view compares with its own clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

import redis.exceptions

from checkout_links.core.crypto.encoding import text
from checkout_links.core.ledger import scripts
from checkout_links.core.links.status import MarkState
from checkout_links.core.orders import indexes as indexing
from checkout_links.core.promotions.codes import Reservation
from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.connection import Redis

log = logging.getLogger(__name__)


def _indexed(link_rand: bytes) -> bool:
    return keys.holds_its_part(keys.shard_of(link_rand))


# GET and TIME in one script rather than a pipeline: Redis Cluster refuses a
# keyless TIME inside a pipeline, and the script reads the clock of the very
# node that holds the mark (the clock the spend script judges expiry by).
_READ = """
local now = redis.call('TIME')
return {now[1], redis.call('GET', KEYS[1])}
"""

_REVOKE = """
local mark = redis.call('GET', KEYS[1])
if mark then return mark end
if tonumber(redis.call('TIME')[1]) > tonumber(ARGV[2]) then return 'x' end
redis.call('SET', KEYS[1], 'r', 'EXAT', ARGV[1])
return 'r'
"""


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


@dataclass(frozen=True, slots=True)
class SpendResult:
    """Outcome of :meth:`Ledger.spend`, with the link's mark after it.

    ``placed``; ``taken`` (the mark found: spent or revoked); ``expired``
    (by the Redis server's clock; the mark says ``expired``, nothing is
    stored); ``void`` (its promotion reservation was settled meanwhile; the
    link stays open).
    """

    outcome: Literal["placed", "taken", "expired", "void"]
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
        self._revoke = client.register_script(_REVOKE)
        self._read = client.register_script(_READ)

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

    def spend(
        self,
        link_rand: bytes,
        *,
        link_expires_at: int,
        merchant_id: str,
        order_id: str,
        order_json: bytes,
        created_ms: int,
        request_id: str,
        event_id: str,
        external_ref: str | None = None,
        reservation: Reservation | None = None,
    ) -> SpendResult:
        """Atomically mark the link spent and write its order and outbox event.

        Either everything is written or nothing is; a link already marked (by
        this request's earlier attempt, another order or a revocation) is
        reported as ``taken`` with the mark found. The order and its event
        record expire ``order_retention`` seconds after ``created_ms``. With a
        promotion ``reservation``, a spend whose reservation was settled
        meanwhile is refused as ``void``; a placed one records the reservation.
        """
        script_keys, args = self._spend_call(
            link_rand,
            link_expires_at=link_expires_at,
            merchant_id=merchant_id,
            order_id=order_id,
            order_json=order_json,
            created_ms=created_ms,
            request_id=request_id,
            event_id=event_id,
            external_ref=external_ref,
            reservation=reservation,
        )
        script = self._script_for(link_rand, reservation)
        result = self.spend_outcome(script(keys=script_keys, args=args), order_id, request_id)
        if result.outcome == "placed" and not _indexed(link_rand):
            pipe = self.client.pipeline(transaction=False)
            self._queue_index(
                pipe,
                link_rand,
                merchant_id=merchant_id,
                order_id=order_id,
                event_id=event_id,
                created_ms=created_ms,
                external_ref=external_ref,
            )
            try:
                pipe.execute()
            except redis.exceptions.RedisError as exc:
                # The order is placed: the worker indexes it from its outbox entry
                # and its census rings the shard, so nothing is lost but time.
                log.warning("order placed but not yet indexed", extra={"error": type(exc).__name__})
        return result

    def _queue_index(
        self,
        pipe: Any,
        link_rand: bytes,
        *,
        merchant_id: str,
        order_id: str,
        event_id: str,
        created_ms: int,
        external_ref: str | None = None,
        **_: Any,
    ) -> None:
        """Queue the index step of a placed spend in a shard beyond the first 16."""
        shard = keys.shard_of(link_rand)
        indexing.queue_index(
            pipe,
            shard=shard,
            merchant_id=merchant_id,
            order_id=order_id,
            event_id=event_id,
            created_ms=created_ms,
            ref_digest=keys.ref_digest(external_ref) if external_ref else None,
            keep_until_ms=created_ms + self.order_retention_ms,
        )
        indexing.queue_ring(pipe, shard)

    def _script_for(self, link_rand: bytes, reservation: Reservation | None) -> Any:
        """The spend script: with the promotion guard when a reservation is redeemed, and with
        the index step when the shard's index part shares its slot."""
        if _indexed(link_rand):
            return self._spend_indexed if reservation is None else self._spend_promoted_indexed
        return self._spend if reservation is None else self._spend_promoted

    def queue_spend(self, pipe: Any, link_rand: bytes, **spend: Any) -> None:
        """Queue the spend script on ``pipe`` (bulk loads: benchmarks and tests).

        Takes :meth:`spend`'s keyword arguments; read each reply with
        :meth:`spend_outcome`.
        """
        script_keys, args = self._spend_call(link_rand, **spend)
        script = self._script_for(link_rand, spend.get("reservation"))
        script(keys=script_keys, args=args, client=pipe)

    def queue_index(self, pipe: Any, link_rand: bytes, **spend: Any) -> None:
        """Queue the index step :meth:`spend` runs after a placed spend (bulk loads, after
        :meth:`queue_spend`'s replies said ``placed``); nothing for a shard whose spend
        indexes itself."""
        if not _indexed(link_rand):
            self._queue_index(pipe, link_rand, **spend)

    def _spend_call(
        self,
        link_rand: bytes,
        *,
        link_expires_at: int,
        merchant_id: str,
        order_id: str,
        order_json: bytes,
        created_ms: int,
        request_id: str,
        event_id: str,
        external_ref: str | None = None,
        reservation: Reservation | None = None,
    ) -> tuple[list[str], list[Any]]:
        script_keys = [
            keys.link_mark(link_rand),
            keys.order(link_rand),
            keys.outbox(keys.shard_of(link_rand)),
            keys.event(link_rand),
        ]
        if reservation is not None:
            script_keys += reservation.spend_keys()
        shard = keys.shard_of(link_rand)
        ref = keys.ref_digest(external_ref) if external_ref else ""
        if _indexed(link_rand):
            part = keys.part_of(shard)
            script_keys += [
                keys.order_index(part, merchant_id),
                keys.event_index(part, merchant_id),
                keys.shard_merchants(part),
                keys.doorbell(part),
                keys.doorbell_rings(part),
            ]
            if ref:
                script_keys.append(keys.ref_index(part, merchant_id, ref))
        args: list[Any] = [
            request_id,
            link_expires_at,
            order_id,
            self.mark_expires_at(link_expires_at),
            order_json,
            created_ms,
            event_id,
            merchant_id,
            created_ms + self.order_retention_ms,
            ref,
            shard,
        ]
        if reservation is not None:
            args.append(reservation.id)
        return script_keys, args

    @staticmethod
    def spend_outcome(result: list[Any], order_id: str, request_id: str) -> SpendResult:
        """The :class:`SpendResult` of one reply of the spend script."""
        outcome = text(result[0])
        if outcome == "taken":
            return SpendResult("taken", Mark.parse(result[1]))
        if outcome == "expired":
            return SpendResult("expired", Mark("expired"))
        if outcome == "void":
            return SpendResult("void", Mark("open"))
        return SpendResult("placed", Mark("spent", order_id, request_id))

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
