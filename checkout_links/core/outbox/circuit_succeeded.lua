-- Close the circuit. KEYS: endpoint. Returns how many failures in a row the 2xx ended.
local failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
if failures > 0 then redis.call('DEL', KEYS[1]) end
return failures
