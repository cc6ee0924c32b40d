-- Lease an event for one delivery attempt: its webhook (field prefix '') or its
-- receipt (field prefix 'receipt_'); the lock is the delivery's own.
-- KEYS: lock, event, due; for a webhook also stream, live.
-- ARGV: consumer, lease_ms, now_ms, event id, field prefix; for a webhook also group.
-- The due time is judged here, against the record, whoever read the due set
-- and however stale that read was: an attempt happens only when its time has come.
-- A finished webhook's outbox entry goes too (forget_entry).
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'busy'} end
local state = redis.call('HGET', KEYS[2], ARGV[5] .. 'state')
if state ~= 'pending' and state ~= 'retrying' then
  if state and KEYS[5] then forget_entry(KEYS[2], KEYS[4], KEYS[5], ARGV[6]) end
  redis.call('ZREM', KEYS[3], ARGV[4])
  redis.call('DEL', KEYS[1])
  return {'done'}
end
local next_ms = tonumber(redis.call('HGET', KEYS[2], ARGV[5] .. 'next_ms') or '') or 0
if next_ms > tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[3], next_ms, ARGV[4])
  redis.call('DEL', KEYS[1])
  return {'later'}
end
redis.call('ZADD', KEYS[3], tonumber(ARGV[3]) + tonumber(ARGV[2]), ARGV[4])
return {'ok', redis.call('HGETALL', KEYS[2])}
