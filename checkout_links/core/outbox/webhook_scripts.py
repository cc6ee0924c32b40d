"""The Lua scripts of the webhook outbox (``outbox/webhooks.py`` says what each step does).

Every script touches the keys of one shard only (and one event's lock), so
each runs unchanged on Redis Cluster.
"""

# KEYS: due, live, stream, receipts due, then one event hash per entry. ARGV:
# group, now_ms, receipts ('1' when SMTP is configured), then (entry id, event
# id) pairs. NX keeps a schedule already there; HSETNX schedules a receipt once,
# in the same step as the webhook, so an order gets both or (until a sweep) neither.
REGISTER = """
local n = 0
for i = 4, #ARGV, 2 do
  local entry, id = ARGV[i], ARGV[i + 1]
  local ev = KEYS[4 + (i - 2) / 2]
  if redis.call('EXISTS', ev) == 1 then
    local state = redis.call('HGET', ev, 'state')
    if state ~= 'delivered' and state ~= 'dead' then
      redis.call('ZADD', KEYS[1], 'NX', ARGV[2], id)
      if ARGV[3] == '1' and redis.call('HGET', ev, 'type') == 'order.created'
         and redis.call('HSETNX', ev, 'receipt_state', 'pending') == 1 then
        redis.call('ZADD', KEYS[4], ARGV[2], id)
      end
      redis.call('ZADD', KEYS[2], tonumber(string.match(entry, '^(%d+)')), entry)
      redis.call('HSET', ev, 'entry', entry)
      n = n + 1
      redis.call('XACK', KEYS[3], ARGV[1], entry)
    else
      redis.call('XACK', KEYS[3], ARGV[1], entry)
      redis.call('XDEL', KEYS[3], entry)
    end
  else
    redis.call('XACK', KEYS[3], ARGV[1], entry)
    redis.call('XDEL', KEYS[3], entry)
  end
end
return n
"""

# The removal of a finished event's outbox entry, shared by the scripts below.
FORGET_ENTRY = """
local function forget_entry(ev, stream, live, group)
  local entry = redis.call('HGET', ev, 'entry')
  if entry then
    redis.call('XACK', stream, group, entry)
    redis.call('XDEL', stream, entry)
    redis.call('ZREM', live, entry)
    redis.call('HDEL', ev, 'entry')
  end
end
"""

# KEYS: lock, event, due, stream, live. ARGV: consumer, lease_ms, now_ms, event id, group.
# The due time is judged here, against the record, whoever read the due set
# and however stale that read was: an attempt happens only when its time has come.
LEASE = (
    FORGET_ENTRY
    + """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'busy'} end
local state = redis.call('HGET', KEYS[2], 'state')
if state == false or state == 'delivered' or state == 'dead' then
  if state then forget_entry(KEYS[2], KEYS[4], KEYS[5], ARGV[5]) end
  redis.call('ZREM', KEYS[3], ARGV[4])
  redis.call('DEL', KEYS[1])
  return {'done'}
end
local next_ms = tonumber(redis.call('HGET', KEYS[2], 'next_ms') or '') or 0
if next_ms > tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[3], next_ms, ARGV[4])
  redis.call('DEL', KEYS[1])
  return {'later'}
end
redis.call('ZADD', KEYS[3], tonumber(ARGV[3]) + tonumber(ARGV[2]), ARGV[4])
return {'ok', redis.call('HGETALL', KEYS[2])}
"""
)

# KEYS: lock, due. ARGV: consumer, lease_ms, until_ms, event id.
RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'XX', ARGV[3], ARGV[4])
return 1
"""

# Records an attempt's outcome. A redelivery requested while the attempt was in
# flight (its counter moved) keeps the event pending and due at the time the
# redelivery asked for. KEYS: event, due, stream, live, lock.
# ARGV: event id, redeliveries seen, state, next_ms or '', attempts,
# last_attempt_ms, last_status, last_error, group, consumer.
FINISH = (
    FORGET_ENTRY
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
redis.call('HSET', KEYS[1], 'attempts', ARGV[5], 'last_attempt_ms', ARGV[6],
           'last_status', ARGV[7], 'last_error', ARGV[8])
if redis.call('GET', KEYS[5]) == ARGV[10] then redis.call('DEL', KEYS[5]) end
if (redis.call('HGET', KEYS[1], 'redeliveries') or '0') ~= ARGV[2] then
  redis.call('ZADD', KEYS[2], tonumber(redis.call('HGET', KEYS[1], 'next_ms')) or 0, ARGV[1])
  return 0
end
redis.call('HSET', KEYS[1], 'state', ARGV[3], 'next_ms', ARGV[4])
if ARGV[4] == '' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  forget_entry(KEYS[1], KEYS[3], KEYS[4], ARGV[9])
else
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
end
return 1
"""
)

# Pushes a due event later without attempting it (its endpoint's circuit is
# open, or its merchant has all its deliveries in flight). Never earlier, never
# one that is leased. KEYS: due, event, lock. ARGV: event id, until_ms.
DEFER = """
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local state = redis.call('HGET', KEYS[2], 'state')
if state == 'pending' or state == 'retrying' then
  redis.call('HSET', KEYS[2], 'next_ms', ARGV[2])
end
return 1
"""

# Makes a waiting retry due now (its endpoint answers again). KEYS: event, due,
# lock. ARGV: event id, now_ms.
PULL = """
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
if redis.call('HGET', KEYS[1], 'state') ~= 'retrying' then return 0 end
redis.call('HSET', KEYS[1], 'next_ms', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
"""
