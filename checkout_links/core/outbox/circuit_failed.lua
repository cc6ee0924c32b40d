-- Count a failed attempt; open the circuit at the threshold.
-- KEYS: endpoint. ARGV: now_ms, base_ms, max_ms, threshold, ttl. Returns failures in a row.
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if failures >= tonumber(ARGV[4]) then
  local wait = math.min(tonumber(ARGV[2]) * 2 ^ (failures - tonumber(ARGV[4])), tonumber(ARGV[3]))
  redis.call('HSET', KEYS[1], 'open_until', math.floor(tonumber(ARGV[1]) + wait))
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return failures
