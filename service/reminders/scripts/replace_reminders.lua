--! prepend reminder_records.lua
-- Writes reminders whose record is as the caller read it (compare and set, per reminder), and
-- puts each in the due, lease or dead set its new placement says.
-- KEYS: due set, lease set, dead set
-- ARGV after P, per change: id, must exist (1/0), expected bytes, new bytes, due ms or '', keep
-- ms or '', dead at ms or '', context key or '', context, context ttl ms, then the report's
-- day hash, expiry, field, delivery mark key, mark, mark ms (reminder_records.lua's `report`)
-- Returns per change 1 (written) or 0 (the record was not as expected: nothing written for it).
local written = {}
for i = 2, #ARGV, 16 do
  local id = ARGV[i]
  local current = load(id)
  local unchanged
  if ARGV[i + 1] == '0' then unchanged = not current else unchanged = current == ARGV[i + 2] end
  if unchanged then
    store(id, ARGV[i + 3], ARGV[i + 5])
    share(ARGV[i + 7], ARGV[i + 8], ARGV[i + 9])
    report(ARGV[i + 10], ARGV[i + 11], ARGV[i + 12], ARGV[i + 13], ARGV[i + 14], ARGV[i + 15])
    -- A reminder is in at most one of the three sets: one that was leased (a delivery's
    -- outcome, the common case) is in neither of the others.
    local leased = redis.call('ZREM', KEYS[2], id) == 1
    if ARGV[i + 4] ~= '' then
      redis.call('ZADD', KEYS[1], ARGV[i + 4], id)
    elseif not leased then
      redis.call('ZREM', KEYS[1], id)
    end
    if ARGV[i + 6] ~= '' then
      redis.call('ZADD', KEYS[3], ARGV[i + 6], id)
    elseif not leased then
      redis.call('ZREM', KEYS[3], id)
    end
    written[#written + 1] = 1
  else
    written[#written + 1] = 0
  end
end
return written
