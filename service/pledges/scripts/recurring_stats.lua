-- Prepended (`--! prepend recurring_stats.lua`) to every script that creates a pledge or
-- changes one: the stats hashes' rule, the same as monthly_recurring_minor() in pledge_state.cpp
-- (tests/pledges/scripts/recurring_share_test.cpp holds the two to the same answers), and the
-- move of the hashes from a pledge's share before a change to its share after it.

-- A pledge's currency and monthly share when it is active recurring, else false, 0.
-- `pledge` is the pledge's hash key. Lua numbers are doubles: exact for every amount the intake
-- accepts (at most 10^15 minor units, below 2^53).
local function recurring_share(pledge)
  local p = redis.call('HMGET', pledge, 'status', 'interval', 'amount_minor', 'currency')
  if (p[1] ~= 'active' and p[1] ~= 'past_due') or not p[4] or p[4] == '' then return false, 0 end
  local amount = tonumber(p[3]) or 0
  if p[2] == 'month' then return p[4], amount end
  if p[2] == 'year' then return p[4], math.floor(amount / 12) end
  return false, 0
end

-- stats: the active hash, the MRR hash, the version counter. Integers go out as '%d' text (a
-- Lua number could become '-0' or '1e+15', which HINCRBY refuses).
local function move_share(stats, currency_before, share_before, currency_after, share_after)
  if currency_before == currency_after and share_before == share_after then return end
  if currency_before then
    redis.call('HINCRBY', stats[1], currency_before, -1)
    redis.call('HINCRBY', stats[2], currency_before, string.format('%d', -share_before))
  end
  if currency_after then
    redis.call('HINCRBY', stats[1], currency_after, 1)
    redis.call('HINCRBY', stats[2], currency_after, string.format('%d', share_after))
  end
  redis.call('INCR', stats[3])
end
