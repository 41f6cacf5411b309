--! prepend reminder_records.lua
-- Rewrites a reminder's record in place if it is as the caller read it: in its bucket, or in its
-- own key keeping that key's expiry. Its place in the sets does not change.
-- ARGV after P: id, expected bytes, new bytes
-- Returns 1, or 0 (nothing written).
local id = ARGV[2]
if redis.call('HGET', bucket(id), id) == ARGV[3] then
  redis.call('HSET', bucket(id), id, ARGV[4])
  return 1
end
if redis.call('GET', P .. id) == ARGV[3] then
  redis.call('SET', P .. id, ARGV[4], 'KEEPTTL')
  return 1
end
return 0
