-- Ends a run: gives the lease back and records the run's report, if this run (token) holds it.
-- KEYS: state hash, lease; ARGV: token, then the report's field/value pairs
-- Returns 1, or 0 (the lease is lost: nothing changed).
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
