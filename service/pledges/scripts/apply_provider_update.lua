--! prepend recurring_stats.lua
--! prepend report_counts.lua
--! prepend queue_messages.lua
-- Applies a payment provider's event to a pledge once: its state change, counters, fields and
-- indexes, the event in its history, and the stats hashes.
-- KEYS: pledge, its events, the event's dedupe mark, the subscription index, stats active,
--       stats MRR, version, the report's day, the reader's delivery mark (report_counts.lua),
--       the outbound messages' due set and items (queue_messages.lua), then the payment index
--       keys to point at the pledge
-- ARGV: expected state, new state ('' unchanged), event, now ms, remember ms, subscription,
--       increment count, the payment the increments count ('' none), take the delivery mark
--       (1/0), the give link's conversion field (''), the report's counts (report_counts.lua),
--       the reader's messages (queue_messages.lua), then field/amount pairs, then field/value
--       pairs
-- Returns {'applied', the conversion field counted or ''}, {'duplicate'} (the dedupe mark is
-- there), {'missing'}, or {'changed', state} when the pledge is not in the expected state
-- (nothing written).
if redis.call('EXISTS', KEYS[3]) == 1 then return {'duplicate'} end
local state = redis.call('HGET', KEYS[1], 'status')
if not state then return {'missing'} end
if state ~= ARGV[1] then return {'changed', state} end
local currency_before, share_before = recurring_share(KEYS[1])
-- A payment is counted once per pledge, whatever became of the dedupe marks of the events
-- that name it.
local counted = ARGV[8] ~= '' and 'counted:' .. ARGV[8]
local count = not counted or redis.call('HEXISTS', KEYS[1], counted) == 0
local messages_at = 13 + 2 * tonumber(ARGV[12])
local i = messages_at + 1 + 4 * tonumber(ARGV[messages_at])
for _ = 1, tonumber(ARGV[7]) do
  if count then redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
  i = i + 2
end
if count and counted and tonumber(ARGV[7]) > 0 then redis.call('HSET', KEYS[1], counted, '1') end
local fields = {}
while i < #ARGV do
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
  i = i + 2
end
if #fields > 0 then redis.call('HSET', KEYS[1], unpack(fields)) end
-- Refunds come per charge as that charge's running total ('refunded:<charge>'): the pledge's
-- total is their sum, so repeats, partial refunds and several refunded renewals add up right.
local refunds = false
for j = 1, #fields, 2 do
  if string.sub(fields[j], 1, 9) == 'refunded:' then refunds = true end
end
if refunds then
  local all = redis.call('HGETALL', KEYS[1])
  local total = 0
  for j = 1, #all, 2 do
    if string.sub(all[j], 1, 9) == 'refunded:' then total = total + (tonumber(all[j + 1]) or 0) end
  end
  redis.call('HSET', KEYS[1], 'total_refunded_minor', string.format('%d', total))
end
for j = 12, #KEYS do redis.call('SET', KEYS[j], redis.call('HGET', KEYS[1], 'id'), 'EX', 34560000) end
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'status', ARGV[2]) end
redis.call('HSET', KEYS[1], 'updated_at_ms', ARGV[4])
redis.call('RPUSH', KEYS[2], ARGV[3])
if ARGV[6] ~= '' then redis.call('SET', KEYS[4], redis.call('HGET', KEYS[1], 'id')) end
redis.call('SET', KEYS[3], '1', 'PX', ARGV[5])
local currency_after, share_after = recurring_share(KEYS[1])
move_share({KEYS[5], KEYS[6], KEYS[7]}, currency_before, share_before, currency_after, share_after)
count_report(KEYS[8], 11)
-- A payment's message goes with the payment's first counting (`count`, above): an event applied
-- again after its dedupe mark is gone does not thank or bill the reader twice.
queue_messages(KEYS[1], KEYS[10], KEYS[11], messages_at, count)
return {'applied', count_conversion(KEYS[8], ARGV[11], KEYS[9], ARGV[9], ARGV[10])}
