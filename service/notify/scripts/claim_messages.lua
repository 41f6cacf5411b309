-- Leases up to `limit` queued messages to send (notify/outbox.hpp): those whose lease ran out
-- first (their sender died; they have waited longest), then those due, oldest first. Each moves
-- to the lease set with the lease's end as its score.
-- KEYS: due set, lease set, items, failures
-- ARGV: now ms, lease until ms, limit
-- Returns id, text, failed attempts, id, text, failed attempts, … (an id whose item is gone is
-- dropped from the sets).
local limit = tonumber(ARGV[3])
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, limit)
if #ids < limit then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, limit - #ids)
  if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
  for _, id in ipairs(due) do ids[#ids + 1] = id end
end
local out = {}
local leases = {}
for _, id in ipairs(ids) do
  local text = redis.call('HGET', KEYS[3], id)
  if text then
    leases[#leases + 1] = ARGV[2]
    leases[#leases + 1] = id
    out[#out + 1] = id
    out[#out + 1] = text
    out[#out + 1] = redis.call('HGET', KEYS[4], id) or '0'
  else
    redis.call('ZREM', KEYS[2], id)
  end
end
if #leases > 0 then redis.call('ZADD', KEYS[2], unpack(leases)) end
return out
