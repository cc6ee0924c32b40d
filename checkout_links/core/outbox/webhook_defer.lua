-- Pushes a due event later without attempting it (its endpoint's circuit is
-- open, or its merchant has all its deliveries in flight). Never earlier, never
-- one that is leased. KEYS: due, event, lock. ARGV: event id, until_ms.
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local state = redis.call('HGET', KEYS[2], 'state')
if state == 'pending' or state == 'retrying' then
  redis.call('HSET', KEYS[2], 'next_ms', ARGV[2])
end
return 1
