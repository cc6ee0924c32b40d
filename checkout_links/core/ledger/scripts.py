"""The spend scripts of the ledger (``ledger/store.py`` says what a spend promises).

KEYS: mark, order, outbox, event record; a promoted spend adds spent-with and
fence; an indexed spend then adds order index, event index, the part's
merchants, doorbell, ring counts and, when the order has an external_ref,
its ref index. ARGV: request id, link expiry (s), order id, mark expiry (s),
order JSON, created (ms), event id, merchant id, keep until (ms),
external_ref digest or '', shard; a promoted spend adds the reservation id.

The order and its event record get their retention TTLs in the step that
writes them, so nothing outlives the retention even when no worker runs. The
merchant's indexes and the doorbell live in the shard's index part: for the
first 16 shards that is the shard's own slot and the spend writes them too
(:data:`SPEND_INDEXED`); for the others it is another slot, written right
after (``orders/indexes.py``) and again by the worker from the outbox entry, which
carries what that needs.
"""

from __future__ import annotations

SPEND = """
local mark = redis.call('GET', KEYS[1])
if mark then return {'taken', mark} end
local now = redis.call('TIME')
-- >=: TIME's seconds are truncated; a link is refused from the start of its expiry second.
if tonumber(now[1]) >= tonumber(ARGV[2]) then return {'expired', now[1]} end
redis.call('SET', KEYS[1], 'o|' .. ARGV[3] .. '|' .. ARGV[1], 'EXAT', ARGV[4])
redis.call('SET', KEYS[2], ARGV[5], 'PXAT', ARGV[9])
redis.call('XADD', KEYS[3], '*', 'event_id', ARGV[7], 'order_id', ARGV[3],
           'merchant_id', ARGV[8], 'type', 'order.created', 'created_ms', ARGV[6],
           'ref', ARGV[10])
redis.call('HSET', KEYS[4], 'id', ARGV[7], 'type', 'order.created', 'order_id', ARGV[3],
           'merchant_id', ARGV[8], 'created_ms', ARGV[6], 'state', 'pending', 'attempts', 0)
redis.call('PEXPIREAT', KEYS[4], ARGV[9])
return {'ok', now[1]}
"""

# What indexing.queue_index and queue_ring do, for a part in the shard's slot.
_INDEX = """local n = #KEYS
if ARGV[10] ~= '' then
  redis.call('ZADD', KEYS[n], 'NX', ARGV[6], ARGV[3])
  local cut = 2 * tonumber(ARGV[6]) - tonumber(ARGV[9])
  redis.call('ZREMRANGEBYSCORE', KEYS[n], '-inf', '(' .. string.format('%d', cut))
  -- Never shorten it: an order placed a moment earlier may have a later created time.
  if redis.call('PEXPIRETIME', KEYS[n]) < tonumber(ARGV[9]) then
    redis.call('PEXPIREAT', KEYS[n], ARGV[9])
  end
  n = n - 1
end
redis.call('ZADD', KEYS[n - 4], 'NX', ARGV[6], ARGV[3])
redis.call('ZADD', KEYS[n - 3], 'NX', ARGV[6], ARGV[7])
redis.call('ZADD', KEYS[n - 2], 'GT', ARGV[6], ARGV[8])
redis.call('HINCRBY', KEYS[n], ARGV[11], 1)
redis.call('ZADD', KEYS[n - 1], 'LT', 0, ARGV[11])
"""
_OK = "return {'ok', now[1]}\n"
SPEND_INDEXED = SPEND.replace(_OK, _INDEX + _OK)

# A spend that redeems a promotion code (core/promotions/codes.py) is refused
# ("void") if the reservation's fence exists, else it records the reservation
# it used, in the step that spends.
_EXPIRY_CHECK = "if tonumber(now[1]) >= tonumber(ARGV[2]) then return {'expired', now[1]} end\n"
_GUARD = """if redis.call('EXISTS', KEYS[6]) == 1 then return {'void', now[1]} end
redis.call('SET', KEYS[5], ARGV[12], 'EXAT', ARGV[4])
"""
SPEND_PROMOTED = SPEND.replace(_EXPIRY_CHECK, _EXPIRY_CHECK + _GUARD)
SPEND_PROMOTED_INDEXED = SPEND_INDEXED.replace(_EXPIRY_CHECK, _EXPIRY_CHECK + _GUARD)

# Built from SPEND so the four never drift apart; fail at import if its shape changed.
if (
    _GUARD not in SPEND_PROMOTED
    or _GUARD not in SPEND_PROMOTED_INDEXED
    or _INDEX not in SPEND_INDEXED
    or "KEYS[5]" in SPEND
):
    raise RuntimeError("the spend scripts no longer fit together")  # pragma: no cover
