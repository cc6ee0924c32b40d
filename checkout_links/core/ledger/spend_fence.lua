-- A spend that redeems a promotion code (core/promotions/codes.py) is refused
-- ("void") if the reservation's fence exists, else it records the reservation
-- it used, in the step that spends. KEYS[5]: spent-with, KEYS[6]: fence;
-- ARGV[12]: the reservation id.
if redis.call('EXISTS', KEYS[6]) == 1 then return {'void', now[1]} end
redis.call('SET', KEYS[5], ARGV[12], 'EXAT', ARGV[4])
