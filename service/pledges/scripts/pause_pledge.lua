-- Sets (a pause) or clears (a resumption) until when a running recurring pledge's collection is
-- paused, and appends the change to its history. The stats hashes stay as they are: a paused
-- pledge is still active (its subscription goes on, only the renewals inside the pause are not
-- charged) and is counted again without anyone's doing when the pause ends.
-- KEYS: pledge, its events
-- ARGV: expected state, paused until (unix ms; '' clears it), event, now ms
-- Returns 'applied', 'unchanged' (already so: nothing written; clearing a pause that is over
-- drops its date without a history entry), 'missing', or the pledge's state when it is not the
-- expected one (nothing written: the caller reads again and decides anew).
local state = redis.call('HGET', KEYS[1], 'status')
if not state then return 'missing' end
if state ~= ARGV[1] then return state end
local paused_until = redis.call('HGET', KEYS[1], 'paused_until_ms')
if ARGV[2] == '' then
  if not paused_until then return 'unchanged' end
  redis.call('HDEL', KEYS[1], 'paused_until_ms')
  if (tonumber(paused_until) or 0) <= tonumber(ARGV[4]) then return 'unchanged' end
else
  if paused_until == ARGV[2] then return 'unchanged' end
  redis.call('HSET', KEYS[1], 'paused_until_ms', ARGV[2])
end
redis.call('HSET', KEYS[1], 'updated_at_ms', ARGV[4])
redis.call('RPUSH', KEYS[2], ARGV[3])
return 'applied'
