-- Replace an order's value only if it is still the one the caller read (compared
-- whole), keeping its TTL. KEYS: order. ARGV: the value read, the new value.
-- Returns 1 when replaced, 0 when the order changed meanwhile (or is gone).
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
