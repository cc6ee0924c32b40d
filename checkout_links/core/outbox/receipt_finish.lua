-- Records a receipt attempt's outcome and releases its lease. KEYS: event,
-- receipts due, lock. ARGV: event id, consumer, state, next_ms or '', attempts,
-- last_attempt_ms, last_error. An event gone (retention) is dropped.
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
redis.call('HSET', KEYS[1], 'receipt_state', ARGV[3], 'receipt_next_ms', ARGV[4],
           'receipt_attempts', ARGV[5], 'receipt_last_attempt_ms', ARGV[6],
           'receipt_last_error', ARGV[7])
if ARGV[4] == '' then
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
end
if redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('DEL', KEYS[3]) end
return 1
