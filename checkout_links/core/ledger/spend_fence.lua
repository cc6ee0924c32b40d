-- A spend that redeems a promotion code (core/promotions/codes.py) is refused
-- ("void") if the reservation's fence exists, else it records the reservation
-- it used, in the step that spends. KEYS[7]: spent-with, KEYS[8]: fence;
-- ARGV[15]: the reservation id.
if redis.call('EXISTS', KEYS[8]) == 1 then return {'void', now[1]} end
redis.call('SET', KEYS[7], ARGV[15], 'EXAT', ARGV[4])
