-- Prepended (`--! prepend report_counts.lua`) to the scripts that create or change a pledge: they
-- add the reader-revenue report's counts for the change (reports/report_counter.hpp) to the
-- day's hash in the same script as the change, so each change is counted once.

-- ARGV from `at`: how long the hash is kept (seconds from now), n, then n field/amount pairs.
-- Adds them to `day` and returns the index after them.
local function count_report(day, at)
  local n = tonumber(ARGV[at + 1])
  for j = at + 2, at + 2 * n, 2 do redis.call('HINCRBY', day, ARGV[j], ARGV[j + 1]) end
  if n > 0 then redis.call('EXPIRE', day, ARGV[at]) end
  return at + 2 + 2 * n
end

-- A first payment converts the reminder last delivered to the reader for the campaign within
-- the window (its mark, which holds the reminder's group, is taken: once), else, when
-- `fallback` is a field, the give link the reader came through. `take` is '1' to look for the
-- mark. Returns the field counted, or ''.
local function count_conversion(day, keep_seconds, mark, take, fallback)
  local group = take == '1' and redis.call('GETDEL', mark)
  local field = fallback
  if group then field = group .. 'reminders_converted' end
  if field ~= '' then
    redis.call('HINCRBY', day, field, 1)
    redis.call('EXPIRE', day, keep_seconds)
  end
  return field
end
