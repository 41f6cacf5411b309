-- Prepended (by a `--! prepend` line) to the scripts that read or write reminder records.
-- ARGV[1] is always P, the record key prefix (`<prefix>rem:`). A kept reminder lives in the
-- bucket hash P .. 'b:' .. <its id's first two characters>, field <id>; a finished one in a key
-- of its own, P .. <id>, that expires. The keys are derived from the ids given, so these scripts
-- suit a single Redis (or a replicated one), not Redis Cluster.
local P = ARGV[1]
local function bucket(id) return P .. 'b:' .. string.sub(id, 1, 2) end
local function load(id) return redis.call('HGET', bucket(id), id) or redis.call('GET', P .. id) end
-- Kept reminders live in their bucket; finished ones in a key of their own that expires.
local function store(id, bytes, keep_ms)
  if keep_ms ~= '' then
    redis.call('HDEL', bucket(id), id)
    redis.call('SET', P .. id, bytes, 'PX', keep_ms)
  else
    redis.call('DEL', P .. id)
    redis.call('HSET', bucket(id), id, bytes)
  end
end
-- The reader-revenue report's count of a change written (reports/report_counter.hpp): one more
-- of `field` in the day hash `day` (none when ''), kept `keep_seconds` from now; and, for a
-- delivery, the reader's delivery mark `mark_key` ('' none) set to `mark` for `mark_ms`.
local function report(day, keep_seconds, field, mark_key, mark, mark_ms)
  if day ~= '' then
    redis.call('HINCRBY', day, field, 1)
    redis.call('EXPIRE', day, keep_seconds)
  end
  if mark_key ~= '' then redis.call('SET', mark_key, mark, 'PX', mark_ms) end
end
-- Shared attribution lives at least as long as the reminders that point at it. It is written
-- for a minute more than needed, so the sign-ups from one article within a minute do not each
-- write it again (and a sign-up's work does not depend on the millisecond it arrived).
local function share(key, bytes, ttl_ms)
  if key ~= '' and redis.call('PTTL', key) < tonumber(ttl_ms) then
    redis.call('SET', key, bytes, 'PX', tonumber(ttl_ms) + 60000)
  end
end
