-- The removal of a finished event's outbox entry, the prelude of the scripts
-- that finish a webhook (lease.lua, webhook_finish.lua).
local function forget_entry(ev, stream, live, group)
  local entry = redis.call('HGET', ev, 'entry')
  if entry then
    redis.call('XACK', stream, group, entry)
    redis.call('XDEL', stream, entry)
    redis.call('ZREM', live, entry)
    redis.call('HDEL', ev, 'entry')
  end
end
