-- KEYS: mark. ARGV: mark expiry (s), link expiry (s). Returns the mark that was
-- there, 'x' for a link past its expiry by this node's clock, or 'r' (revoked now).
local mark = redis.call('GET', KEYS[1])
if mark then return mark end
if tonumber(redis.call('TIME')[1]) > tonumber(ARGV[2]) then return 'x' end
redis.call('SET', KEYS[1], 'r', 'EXAT', ARGV[1])
return 'r'
