-- Extends the run's lease, if this run (token) still holds it.
-- KEYS: lease; ARGV: token, lease ms. Returns 1, or 0 (the lease is lost: nothing changed).
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
