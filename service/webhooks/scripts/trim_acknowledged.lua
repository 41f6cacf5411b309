-- Deletes the stream entries every consumer group has acknowledged. A group's floor is its
-- oldest pending entry, or, with none pending, the entry after the last one it was given;
-- entries below every floor were acknowledged by every group. A stream without groups keeps all.
-- KEYS: stream. Returns how many entries went.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then return 0 end
local floor_ms, floor_seq
for _, g in ipairs(groups) do
  local info = {}
  for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
  local id = info['last-delivered-id']
  local step = 1
  if tonumber(info['pending']) > 0 then
    id = redis.call('XPENDING', KEYS[1], info['name'])[2]
    step = 0
  end
  local dash = string.find(id, '-', 1, true)
  local ms = tonumber(string.sub(id, 1, dash - 1))
  local seq = tonumber(string.sub(id, dash + 1)) + step
  if floor_ms == nil or ms < floor_ms or (ms == floor_ms and seq < floor_seq) then
    floor_ms, floor_seq = ms, seq
  end
end
return redis.call('XTRIM', KEYS[1], 'MINID', string.format('%.0f-%.0f', floor_ms, floor_seq))
