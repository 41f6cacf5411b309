-- Drops an Idempotency-Key's claim (the request failed before any pledge was made), never a
-- saved answer. KEYS[1] the key's hash (reserve_idempotency.lua). Returns 1.
if redis.call('HGET', KEYS[1], 'state') == 'claimed' then redis.call('DEL', KEYS[1]) end
return 1
