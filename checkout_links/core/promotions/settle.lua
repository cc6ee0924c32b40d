-- Settle a reservation in the link's shard: 'spent', 'void' or 'fenced'.
-- KEYS: spent-with, mark, fence. ARGV: reservation id, fence expiry (s).
if redis.call('GET', KEYS[1]) == ARGV[1] then return 'spent' end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'void' end
redis.call('SET', KEYS[3], '1', 'EXAT', ARGV[2])
return 'fenced'
