"""The Redis ledger: the one place a link becomes spent or revoked.

A link has one mark key. Absent: open. ``r``: revoked. ``o|<order>|<request>``:
spent by the order. Spending writes the mark, the order, the merchant's order
and event indexes, the outbox event and its delivery record in one Lua script,
over keys that share the link's shard hash tag, so it is atomic on a single
Redis and on Redis Cluster alike, and revoke and spend exclude each other
because both claim the same mark. The same step gives the order and its event
record their retention TTL (``CHECKOUT_ORDER_RETENTION_SECONDS``); the mark
keeps its own, shorter one.

Spending, revoking and the merchant's status judge expiry against the Redis
server's clock (``TIME``), so every app instance agrees on it whatever its own
clock says. The cart page only shows the state: it reads the mark alone
(:meth:`Ledger.mark`) and the view compares with its own clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checkout_links.core import keys
from checkout_links.core.encoding import text
from checkout_links.core.promotions import Reservation
from checkout_links.core.store import Redis

# KEYS: mark, order, order index, outbox, event record, event index, shard's
# merchants, and (only when the order has an external_ref) its ref index.
# ARGV: request id, link expiry (s), order id, mark expiry (s), order JSON,
# created (ms), event id, merchant id, keep until (ms), retention cut (ms).
# The order, the event record and the ref index get their TTLs here, in the
# same step that writes them, so nothing outlives the retention even when no
# worker runs; the per-merchant indexes and the outbox are trimmed by the
# worker's retention pass (core/retention.py), which finds them through the
# shard's merchant set.
_SPEND = """
local mark = redis.call('GET', KEYS[1])
if mark then return {'taken', mark} end
local now = redis.call('TIME')
-- >=: TIME's seconds are truncated; a link is refused from the start of its expiry second.
if tonumber(now[1]) >= tonumber(ARGV[2]) then return {'expired', now[1]} end
redis.call('SET', KEYS[1], 'o|' .. ARGV[3] .. '|' .. ARGV[1], 'EXAT', ARGV[4])
redis.call('SET', KEYS[2], ARGV[5], 'PXAT', ARGV[9])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[3])
redis.call('XADD', KEYS[4], '*', 'event_id', ARGV[7], 'order_id', ARGV[3],
           'merchant_id', ARGV[8], 'type', 'order.created')
redis.call('HSET', KEYS[5], 'id', ARGV[7], 'type', 'order.created', 'order_id', ARGV[3],
           'merchant_id', ARGV[8], 'created_ms', ARGV[6], 'state', 'pending', 'attempts', 0)
redis.call('PEXPIREAT', KEYS[5], ARGV[9])
redis.call('ZADD', KEYS[6], ARGV[6], ARGV[7])
redis.call('ZADD', KEYS[7], 'GT', ARGV[6], ARGV[8])
if KEYS[8] then
  redis.call('ZADD', KEYS[8], ARGV[6], ARGV[3])
  redis.call('ZREMRANGEBYSCORE', KEYS[8], '-inf', '(' .. ARGV[10])
  -- Never shorten it: an order placed a moment earlier may have a later created time.
  if redis.call('PEXPIRETIME', KEYS[8]) < tonumber(ARGV[9]) then
    redis.call('PEXPIREAT', KEYS[8], ARGV[9])
  end
end
return {'ok', now[1]}
"""

# A spend that redeems a promotion code (core/promotions.py) also gets the
# reservation's keys, spent-with (KEYS[8]) and fence (KEYS[9]), and its id
# (ARGV[11]); the ref index moves to KEYS[10]. It is refused ("void") if the
# fence exists, else it records the reservation it used, in the step that spends.
_EXPIRY_CHECK = "if tonumber(now[1]) >= tonumber(ARGV[2]) then return {'expired', now[1]} end\n"
_GUARD = """if redis.call('EXISTS', KEYS[9]) == 1 then return {'void', now[1]} end
redis.call('SET', KEYS[8], ARGV[11], 'EXAT', ARGV[4])
"""
_SPEND_PROMOTED = _SPEND.replace("KEYS[8]", "KEYS[10]").replace(
    _EXPIRY_CHECK, _EXPIRY_CHECK + _GUARD
)
# Built from _SPEND so the two never drift apart; fail at import if its shape changed.
if _GUARD not in _SPEND_PROMOTED or "KEYS[9]" in _SPEND or "KEYS[10]" in _SPEND:
    raise RuntimeError("the promotion guard no longer fits the spend script")  # pragma: no cover

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

    state: str  # "open", "revoked", "spent" (or "expired", only from revoke)
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
    """Outcome of :meth:`Ledger.spend`: ``placed``, ``expired`` or the mark that was there."""

    outcome: str  # "placed", "expired", "taken", "void" (its promotion reservation was settled)
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
        self._spend = client.register_script(_SPEND)
        self._spend_promoted = client.register_script(_SPEND_PROMOTED)
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
        script = self._script_for(reservation)
        return self.spend_outcome(script(keys=script_keys, args=args), order_id, request_id)

    def _script_for(self, reservation: Reservation | None) -> Any:
        """The spend script: with the promotion guard when a reservation is redeemed."""
        return self._spend if reservation is None else self._spend_promoted

    def queue_spend(self, pipe: Any, link_rand: bytes, **spend: Any) -> None:
        """Queue the spend script on ``pipe`` (bulk loads: benchmarks and tests).

        Takes :meth:`spend`'s keyword arguments; read each reply with
        :meth:`spend_outcome`.
        """
        script_keys, args = self._spend_call(link_rand, **spend)
        self._script_for(spend.get("reservation"))(keys=script_keys, args=args, client=pipe)

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
        shard = keys.shard_of(link_rand)
        script_keys = [
            keys.link_mark(link_rand),
            keys.order(link_rand),
            keys.order_index(shard, merchant_id),
            keys.outbox(shard),
            keys.event(link_rand),
            keys.event_index(shard, merchant_id),
            keys.shard_merchants(shard),
        ]
        if reservation is not None:
            script_keys += reservation.spend_keys()
        if external_ref:
            script_keys.append(keys.ref_index(shard, merchant_id, external_ref))
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
            created_ms - self.order_retention_ms,
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
        if outcome in ("expired", "void"):
            return SpendResult(outcome, Mark("open"))
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
