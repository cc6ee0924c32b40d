-- Makes a waiting retry due now (its endpoint answers again). KEYS: event, due,
-- lock. ARGV: event id, now_ms.
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
if redis.call('HGET', KEYS[1], 'state') ~= 'retrying' then return 0 end
redis.call('HSET', KEYS[1], 'next_ms', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
