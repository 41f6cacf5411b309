--! prepend reminder_records.lua
-- Removes a reminder: its record and its place in the due, lease and dead sets.
-- KEYS: due set, lease set, dead set
-- ARGV after P: id
-- Returns 1 when there was a record, else 0.
local id = ARGV[2]
local removed = redis.call('HDEL', bucket(id), id) + redis.call('DEL', P .. id)
for i = 1, 3 do redis.call('ZREM', KEYS[i], id) end
if removed > 0 then return 1 end
return 0
