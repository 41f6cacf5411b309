-- Claims the right to send, per reminder: one scheduler sends a reminder at a time, and the
-- holder of a claim may send again (its own retry).
-- ARGV: now ms, window ms, then per reminder: claim key, holder
-- Returns per reminder 1 (may send) or 0 (another holder's claim has not ended). A claim is
-- '<holder>|<until ms>': the scheduler's clock decides when it ends (the key's own expiry, a
-- minute later, only cleans up).
local now = tonumber(ARGV[1])
local out = {}
for i = 3, #ARGV, 2 do
  local held = redis.call('GET', ARGV[i])
  local holder, ends = nil, 0
  if held then
    local bar = string.find(held, '|', 1, true) or (#held + 1)
    holder = string.sub(held, 1, bar - 1)
    ends = tonumber(string.sub(held, bar + 1)) or 0
  end
  if holder == ARGV[i + 1] then
    out[#out + 1] = 1
  elseif holder and ends > now then
    out[#out + 1] = 0
  else
    local window = tonumber(ARGV[2])
    redis.call('SET', ARGV[i], ARGV[i + 1] .. '|' .. (now + window), 'PX', window + 60000)
    out[#out + 1] = 1
  end
end
return out
