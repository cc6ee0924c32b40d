-- KEYS: mark. The node's time (seconds) and the link's mark. GET and TIME in
-- one script rather than a pipeline: Redis Cluster refuses a keyless TIME
-- inside a pipeline, and the script reads the clock of the very node that
-- holds the mark (the clock the spend script judges expiry by).
local now = redis.call('TIME')
return {now[1], redis.call('GET', KEYS[1])}
