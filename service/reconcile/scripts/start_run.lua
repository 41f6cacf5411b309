-- Starts a reconciliation run if none holds the lease and the last one started at least the
-- minimum gap ago: takes the lease and records the start.
-- KEYS: state hash, lease; ARGV: token, now ms, lease ms, min gap ms (0: none)
-- Returns {'started' | 'busy' | 'not_due', checkpoint or '', last started ms or ''}.
local state = redis.call('HMGET', KEYS[1], 'checkpoint', 'last_started_ms')
if redis.call('EXISTS', KEYS[2]) == 1 then return {'busy', state[1] or '', state[2] or ''} end
local gap = tonumber(ARGV[4])
if gap > 0 and state[2] and tonumber(ARGV[2]) - tonumber(state[2]) < gap then
  return {'not_due', state[1] or '', state[2]}
end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
redis.call('HSET', KEYS[1], 'last_started_ms', ARGV[2])
return {'started', state[1] or '', ARGV[2]}
