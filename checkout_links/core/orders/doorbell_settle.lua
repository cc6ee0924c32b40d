-- After a worker looked at shards of one part: for each (shard, rings seen
-- before looking, next score or ''), set the shard's score to its next due
-- time, or remove it, unless it was rung meanwhile. KEYS: doorbell, rings.
local n = 0
for i = 1, #ARGV, 3 do
  if (redis.call('HGET', KEYS[2], ARGV[i]) or '0') == ARGV[i + 1] then
    if ARGV[i + 2] == '' then
      redis.call('ZREM', KEYS[1], ARGV[i])
    else
      redis.call('ZADD', KEYS[1], ARGV[i + 2], ARGV[i])
    end
    n = n + 1
  end
end
return n
