--! prepend recurring_stats.lua
--! prepend report_counts.lua
-- Creates a pledge with its first event, and saves the answer under its Idempotency-Key.
-- KEYS: pledge, its events, checkout index, idempotency key, stats active, stats MRR, version,
--       the report's day, and for a pledge that keeps its reader's address, the reader's
--       pledge index (erase_reader.lua)
-- ARGV: event, pledge id, session id ('' none), with key (1/0), status, location, body, kept ms,
--       the report's counts (report_counts.lua), then the pledge's field/value pairs
-- Returns 1, or 0 (nothing written) when the pledge exists or another request holds the key.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
-- Only the request holding the claim answers under the key.
if ARGV[4] == '1' and redis.call('HGET', KEYS[4], 'pledge_id') ~= ARGV[2] then return 0 end
local fields = {}
for i = count_report(KEYS[8], 9), #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('RPUSH', KEYS[2], ARGV[1])
if KEYS[9] then
  redis.call('SADD', KEYS[9], ARGV[2])
  redis.call('HSET', KEYS[1], 'reader_indexes', KEYS[9])
end
if ARGV[3] ~= '' then redis.call('SET', KEYS[3], ARGV[2]) end
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[4], 'state', 'done', 'status', ARGV[5], 'location', ARGV[6], 'body', ARGV[7])
  redis.call('PEXPIRE', KEYS[4], ARGV[8])
end
local currency, share = recurring_share(KEYS[1])
move_share({KEYS[5], KEYS[6], KEYS[7]}, false, 0, currency, share)
return 1
