-- The spend itself: the mark, the order, its outbox entry and its event record,
-- the last two with the order retention's TTL; the order's number (KEYS[5],
-- with the same TTL) and, for an order awaiting payment, its entry in the
-- shard's payments due (KEYS[6], scored by ARGV[13]). ARGV[14]: '1' when the
-- event sends the customer an email (the receipt or order confirmation).
redis.call('SET', KEYS[1], 'o|' .. ARGV[3] .. '|' .. ARGV[1], 'EXAT', ARGV[4])
redis.call('SET', KEYS[2], ARGV[5], 'PXAT', ARGV[9])
redis.call('XADD', KEYS[3], '*', 'event_id', ARGV[7], 'order_id', ARGV[3],
           'merchant_id', ARGV[8], 'type', 'order.created', 'created_ms', ARGV[6],
           'ref', ARGV[10])
redis.call('HSET', KEYS[4], 'id', ARGV[7], 'type', 'order.created', 'order_id', ARGV[3],
           'merchant_id', ARGV[8], 'created_ms', ARGV[6], 'state', 'pending', 'attempts', 0,
           'mail', ARGV[14])
redis.call('PEXPIREAT', KEYS[4], ARGV[9])
if ARGV[12] ~= '' then redis.call('SET', KEYS[5], ARGV[3], 'PXAT', ARGV[9]) end
if ARGV[13] ~= '' then redis.call('ZADD', KEYS[6], ARGV[13], ARGV[3]) end
