"""The Redis ledger: the one place a link becomes spent or revoked.

A link has one mark key. Absent: open. ``r``: revoked. ``o|<order>|<request>``:
spent by the order. Spending writes the mark, the order, the merchant's order
index and the outbox event in one Lua script, over keys that share the link's
shard hash tag
(plus the event's delivery record), so it is atomic on a single Redis and on Redis Cluster alike,
and revoke and spend exclude each other because both claim the same mark.

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
from checkout_links.core.store import Redis

_SPEND = """
local mark = redis.call('GET', KEYS[1])
if mark then return {'taken', mark} end
local now = redis.call('TIME')
-- >=: TIME's seconds are truncated; a link is refused from the start of its expiry second.
if tonumber(now[1]) >= tonumber(ARGV[2]) then return {'expired', now[1]} end
redis.call('SET', KEYS[1], 'o|' .. ARGV[3] .. '|' .. ARGV[1], 'EXAT', ARGV[4])
redis.call('SET', KEYS[2], ARGV[5])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[3])
redis.call('XADD', KEYS[4], '*', 'event_id', ARGV[7], 'order_id', ARGV[3],
           'merchant_id', ARGV[8], 'type', 'order.created')
redis.call('HSET', KEYS[5], 'id', ARGV[7], 'type', 'order.created', 'order_id', ARGV[3],
           'merchant_id', ARGV[8], 'created_ms', ARGV[6], 'state', 'pending', 'attempts', 0)
redis.call('ZADD', KEYS[6], ARGV[6], ARGV[7])
return {'ok', now[1]}
"""

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

    outcome: str  # "placed", "expired", "taken"
    mark: Mark


class Ledger:
    """Spend, revoke and read link marks; the scripts are loaded once per client."""

    def __init__(self, client: Redis, clock_skew: int, retention: int) -> None:
        self.client = client
        self.clock_skew = clock_skew
        self.retention = retention
        self._spend = client.register_script(_SPEND)
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
    ) -> SpendResult:
        """Atomically mark the link spent and write its order and outbox event.

        Either everything is written or nothing is; a link already marked (by
        this request's earlier attempt, another order or a revocation) is
        reported as ``taken`` with the mark found.
        """
        shard = keys.shard_of(link_rand)
        result: list[Any] = self._spend(
            keys=[
                keys.link_mark(link_rand),
                keys.order(link_rand),
                keys.order_index(shard, merchant_id),
                keys.outbox(shard),
                keys.event(link_rand),
                keys.event_index(shard, merchant_id),
            ],
            args=[
                request_id,
                link_expires_at,
                order_id,
                self.mark_expires_at(link_expires_at),
                order_json,
                created_ms,
                event_id,
                merchant_id,
            ],
        )
        outcome = text(result[0])
        if outcome == "taken":
            return SpendResult("taken", Mark.parse(result[1]))
        if outcome == "expired":
            return SpendResult("expired", Mark("open"))
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
