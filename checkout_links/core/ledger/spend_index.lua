-- What orders/indexes.py's queue_index and queue_ring do, for a part in the
-- shard's slot. The last KEYS: order index, event index, the part's merchants,
-- doorbell, ring counts, then the ref index when ARGV[10] (the external_ref
-- digest) is not ''.
local n = #KEYS
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
