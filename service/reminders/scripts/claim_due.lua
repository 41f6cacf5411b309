--! prepend reminder_records.lua
-- Leases up to `limit` reminders to deliver: those whose lease ran out first (their scheduler
-- died; they have waited longest), then those due, oldest first. Each moves to the lease set
-- with the lease's end as its score.
-- KEYS: due set, lease set
-- ARGV after P: now ms, lease until ms, limit
-- Returns id, bytes, id, bytes, … (an id whose record is gone is dropped from the sets).
local limit = tonumber(ARGV[4])
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2], 'LIMIT', 0, limit)
if #ids < limit then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, limit - #ids)
  if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
  for _, id in ipairs(due) do ids[#ids + 1] = id end
end
local out = {}
local leases = {}
for _, id in ipairs(ids) do
  local bytes = load(id)
  if bytes then
    leases[#leases + 1] = ARGV[3]
    leases[#leases + 1] = id
    out[#out + 1] = id
    out[#out + 1] = bytes
  else
    redis.call('ZREM', KEYS[2], id)
  end
end
-- One ZADD for the batch (at most 2 * max_claim arguments, well inside Lua's stack).
if #leases > 0 then redis.call('ZADD', KEYS[2], unpack(leases)) end
return out
