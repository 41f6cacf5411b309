-- Moves the checkpoint forward (never back), if this run (token) holds the lease.
-- KEYS: state hash, lease; ARGV: token, checkpoint
-- Returns 1 (held: moved, or already further on), or 0 (the lease is lost: nothing changed).
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
local now = tonumber(redis.call('HGET', KEYS[1], 'checkpoint'))
if not now or tonumber(ARGV[2]) > now then redis.call('HSET', KEYS[1], 'checkpoint', ARGV[2]) end
return 1
