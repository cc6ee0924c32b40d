-- Reserve one redemption of a code. KEYS: def, used, held, holders. ARGV:
-- reservation id, holder ("<link hex>|<expiry s>"), TTL ms. Returns {'ok'},
-- {'<refusal>'} or {'full', id, holder, id, holder...} with up to 20 expired
-- reservations for the caller to settle before it tries again.
local d = redis.call('HMGET', KEYS[1], 'active', 'starts', 'expires', 'max')
if not d[1] then return {'unknown'} end
if d[1] ~= '1' then return {'inactive'} end
local t = redis.call('TIME')
local now = tonumber(t[1])
local now_ms = now * 1000 + math.floor(tonumber(t[2]) / 1000)
if d[2] ~= '' and now < tonumber(d[2]) then return {'not_started'} end
if d[3] ~= '' and now >= tonumber(d[3]) then return {'expired'} end
if d[4] ~= '' then
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if used + redis.call('ZCARD', KEYS[3]) >= tonumber(d[4]) then
    local out = {'full'}
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now_ms, 'LIMIT', 0, 20)) do
      table.insert(out, id)
      table.insert(out, redis.call('HGET', KEYS[4], id) or '')
    end
    return out
  end
end
redis.call('ZADD', KEYS[3], now_ms + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
return {'ok'}
