-- The spend itself: the mark, the order, its outbox entry and its event record,
-- the last two with the order retention's TTL.
redis.call('SET', KEYS[1], 'o|' .. ARGV[3] .. '|' .. ARGV[1], 'EXAT', ARGV[4])
redis.call('SET', KEYS[2], ARGV[5], 'PXAT', ARGV[9])
redis.call('XADD', KEYS[3], '*', 'event_id', ARGV[7], 'order_id', ARGV[3],
           'merchant_id', ARGV[8], 'type', 'order.created', 'created_ms', ARGV[6],
           'ref', ARGV[10])
redis.call('HSET', KEYS[4], 'id', ARGV[7], 'type', 'order.created', 'order_id', ARGV[3],
           'merchant_id', ARGV[8], 'created_ms', ARGV[6], 'state', 'pending', 'attempts', 0)
redis.call('PEXPIREAT', KEYS[4], ARGV[9])
