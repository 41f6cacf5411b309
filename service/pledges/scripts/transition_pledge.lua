--! prepend recurring_stats.lua
--! prepend report_counts.lua
--! prepend queue_messages.lua
-- Moves a pledge from the state it was read in to the next (the C++ state table chose it),
-- appends the event, and moves the stats hashes by the change of its share.
-- KEYS: pledge, its events, stats active, stats MRR, version, the report's day, the outbound
--       messages' due set and items (queue_messages.lua)
-- ARGV: expected state, new state, event, now ms, the report's counts (report_counts.lua), then
--       the reader's messages (queue_messages.lua)
-- Returns 'applied', 'missing', or the pledge's state when it is not the expected one (nothing
-- written: the caller reads again).
local state = redis.call('HGET', KEYS[1], 'status')
if not state then return 'missing' end
if state ~= ARGV[1] then return state end
local currency_before, share_before = recurring_share(KEYS[1])
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'updated_at_ms', ARGV[4])
redis.call('RPUSH', KEYS[2], ARGV[3])
local currency_after, share_after = recurring_share(KEYS[1])
move_share({KEYS[3], KEYS[4], KEYS[5]}, currency_before, share_before, currency_after, share_after)
queue_messages(KEYS[1], KEYS[7], KEYS[8], count_report(KEYS[6], 5), true)
return 'applied'
