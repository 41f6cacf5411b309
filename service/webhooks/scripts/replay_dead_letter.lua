-- Moves a dead letter back onto the stream as a new entry (an operator's replay), once.
-- KEYS: dead letters, stream; ARGV: dead letter id, its event id, type, body, now ms
-- Returns 1, or 0 when the dead letter is gone (replayed already: nothing added).
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('XADD', KEYS[2], '*', 'event_id', ARGV[2], 'type', ARGV[3], 'body', ARGV[4], 'received_ms', ARGV[5])
return 1
