-- When the oldest entry a consumer group has not acknowledged was received: the older of its
-- oldest pending entry (delivered to a consumer, not done yet) and the first never delivered.
-- Stream ids begin with the time of the XADD in Unix ms, which is when the event was received.
-- KEYS: stream; ARGV: group. Returns that time in ms, or 0 when there is none.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local last_delivered = nil
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local fields = {}
  for i = 1, #g, 2 do fields[g[i]] = g[i + 1] end
  if fields['name'] == ARGV[1] then last_delivered = fields['last-delivered-id'] end
end
local candidates = {}
if last_delivered then
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1])
  if pending[2] then candidates[#candidates + 1] = pending[2] end
  local undelivered = redis.call('XRANGE', KEYS[1], '(' .. last_delivered, '+', 'COUNT', 1)
  if undelivered[1] then candidates[#candidates + 1] = undelivered[1][1] end
else
  local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
  if first[1] then candidates[#candidates + 1] = first[1][1] end
end
local oldest = 0
for _, id in ipairs(candidates) do
  local ms = tonumber(string.match(id, '^(%d+)-'))
  if oldest == 0 or ms < oldest then oldest = ms end
end
return oldest
