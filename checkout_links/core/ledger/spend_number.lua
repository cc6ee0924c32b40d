-- A new order's number is unique per merchant (orders/numbers.py): refuse
-- ("number") when another order of the merchant took it, so the next attempt
-- draws another. KEYS[5]: the number's key; ARGV[12]: the number ('' none).
if ARGV[12] ~= '' and redis.call('EXISTS', KEYS[5]) == 1 then return {'number', now[1]} end
