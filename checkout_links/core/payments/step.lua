-- One payment transition of an order (payments/transitions.py), atomically:
-- the order is replaced only if it is still the one the change was computed
-- from (compared whole), with one event: its outbox entry and delivery
-- record, and, when the order is settled, its removal from the shard's
-- payments due.
-- KEYS: order, outbox, event record, payments due; when the shard holds its
-- index part also event index, the part's merchants, doorbell, ring counts.
-- ARGV: the order JSON the change was computed from, new order JSON, event id, event type, order id, merchant
-- id, event ms, keep until ms, shard, settled ('1' or '0'), mail ('1' or '0'),
-- order created ms, payment JSON (the event's snapshot).
local current = redis.call('GET', KEYS[1])
if not current then return 'gone' end
if current ~= ARGV[1] then return 'stale' end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
if ARGV[10] == '1' then redis.call('ZREM', KEYS[4], ARGV[5]) end
redis.call('XADD', KEYS[2], '*', 'event_id', ARGV[3], 'order_id', ARGV[5],
           'merchant_id', ARGV[6], 'type', ARGV[4], 'created_ms', ARGV[7],
           'order_ms', ARGV[12], 'ref', '')
redis.call('HSET', KEYS[3], 'id', ARGV[3], 'type', ARGV[4], 'order_id', ARGV[5],
           'merchant_id', ARGV[6], 'created_ms', ARGV[7], 'state', 'pending', 'attempts', 0,
           'mail', ARGV[11], 'payment', ARGV[13])
redis.call('PEXPIREAT', KEYS[3], ARGV[8])
if #KEYS > 4 then
  redis.call('ZADD', KEYS[5], 'NX', ARGV[7], ARGV[3])
  redis.call('ZADD', KEYS[6], 'GT', ARGV[7], ARGV[6])
  redis.call('HINCRBY', KEYS[8], ARGV[9], 1)
  redis.call('ZADD', KEYS[7], 'LT', 0, ARGV[9])
end
return 'ok'
