-- The dead letters (notify/outbox.hpp) that died first, for an admin. Read-only.
-- KEYS: dead set, failures, errors
-- ARGV: limit
-- Returns a flat list: id, died at (ms), failed attempts (0 when none were counted), last error,
-- for each of up to `limit` dead letters, oldest first.
local dead = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
local out = {}
for i = 1, #dead, 2 do
  local id = dead[i]
  out[#out + 1] = id
  out[#out + 1] = dead[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[2], id) or '0'
  out[#out + 1] = redis.call('HGET', KEYS[3], id) or ''
end
return out
