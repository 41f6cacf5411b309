-- Sends a dead letter again (notify/outbox.hpp): due now, its failed attempts forgotten.
-- KEYS: due set, dead set, failures, errors
-- ARGV: id, now ms
-- Returns 1, or 0 when the id is no dead letter (never was, replayed already, or gone).
if redis.call('ZMSCORE', KEYS[2], ARGV[1])[1] == false then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
return 1
