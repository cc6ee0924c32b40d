-- The start of every spend (scripts.py lists its KEYS and ARGV): refuse a link
-- already marked or past its expiry by this node's clock.
local mark = redis.call('GET', KEYS[1])
if mark then return {'taken', mark} end
local now = redis.call('TIME')
-- >=: TIME's seconds are truncated; a link is refused from the start of its expiry second.
if tonumber(now[1]) >= tonumber(ARGV[2]) then return {'expired', now[1]} end
