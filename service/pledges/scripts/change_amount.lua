--! prepend recurring_stats.lua
-- Sets a running recurring pledge's new amount (the provider charges it from the next renewal
-- on), appends the change to its history, and moves the stats hashes by the change of its
-- monthly share: the MRR follows the new amount at once, as the next charges will.
-- KEYS: pledge, its events, stats active, stats MRR, version
-- ARGV: expected state, the new amount (minor units), event, now ms
-- Returns 'applied', 'unchanged' (the pledge has that amount already: nothing written),
-- 'missing', or the pledge's state when it is not the expected one (nothing written: the caller
-- reads again and decides anew).
local state = redis.call('HGET', KEYS[1], 'status')
if not state then return 'missing' end
if state ~= ARGV[1] then return state end
if redis.call('HGET', KEYS[1], 'amount_minor') == ARGV[2] then return 'unchanged' end
local currency_before, share_before = recurring_share(KEYS[1])
redis.call('HSET', KEYS[1], 'amount_minor', ARGV[2], 'updated_at_ms', ARGV[4])
redis.call('RPUSH', KEYS[2], ARGV[3])
local currency_after, share_after = recurring_share(KEYS[1])
move_share({KEYS[3], KEYS[4], KEYS[5]}, currency_before, share_before, currency_after, share_after)
return 'applied'
