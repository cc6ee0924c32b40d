-- Make read outbox entries due. KEYS: due, live, stream, receipts due, then one
-- event hash per entry. ARGV: group, now_ms, receipts ('1' when SMTP is
-- configured), then (entry id, event id) pairs. An event whose 'mail' is
-- '1' (order.created but of a card payment; order.paid of one) owes a
-- receipt. NX keeps a schedule already there; HSETNX schedules a receipt once, in the same step as the webhook, so
-- an order gets both or (until a sweep) neither.
local n = 0
for i = 4, #ARGV, 2 do
  local entry, id = ARGV[i], ARGV[i + 1]
  local ev = KEYS[4 + (i - 2) / 2]
  if redis.call('EXISTS', ev) == 1 then
    local state = redis.call('HGET', ev, 'state')
    if state ~= 'delivered' and state ~= 'dead' and state ~= 'skipped' then
      redis.call('ZADD', KEYS[1], 'NX', ARGV[2], id)
      -- 'mail' says whether the event emails the customer; events written
      -- before it existed are order.created, which did.
      local mail = redis.call('HGET', ev, 'mail')
      if not mail then
        mail = redis.call('HGET', ev, 'type') == 'order.created' and '1' or '0'
      end
      if ARGV[3] == '1' and mail == '1'
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
