--! prepend reminder_records.lua
-- Adds a new pending reminder, due at a time, unless one with its id exists.
-- KEYS: due set
-- ARGV after P: id, bytes, due ms, context key or '', context, context ttl ms, then the report's
--   day hash, its expiry and field (reminder_records.lua's `report`)
-- Returns 1, or 0 (nothing written) when the id is taken.
local id = ARGV[2]
if redis.call('HEXISTS', bucket(id), id) == 1 or redis.call('EXISTS', P .. id) == 1 then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[4], id)
redis.call('HSET', bucket(id), id, ARGV[3])
share(ARGV[5], ARGV[6], ARGV[7])
report(ARGV[8], ARGV[9], ARGV[10], '', '', '')
return 1
