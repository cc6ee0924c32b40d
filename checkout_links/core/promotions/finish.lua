-- Confirm or release a reservation. KEYS: used, held, holders. ARGV:
-- reservation id, 1 to count it (confirm) or 0 (release).
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[3], ARGV[1])
if ARGV[2] == '1' then redis.call('INCR', KEYS[1]) end
return 1
