-- Extend a webhook's lease. KEYS: lock, due. ARGV: consumer, lease_ms, until_ms, event id.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'XX', ARGV[3], ARGV[4])
return 1
