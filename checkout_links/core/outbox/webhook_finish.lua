-- Records an attempt's outcome. A redelivery requested while the attempt was in
-- flight (its counter moved) keeps the event pending and due at the time the
-- redelivery asked for. KEYS: event, due, stream, live, lock.
-- ARGV: event id, redeliveries seen, state, next_ms or '', attempts,
-- last_attempt_ms ('' when nothing was sent: the last attempt stays as it was),
-- last_status, last_error, group, consumer.
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
redis.call('HSET', KEYS[1], 'attempts', ARGV[5], 'last_error', ARGV[8])
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[1], 'last_attempt_ms', ARGV[6], 'last_status', ARGV[7])
end
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
