-- How many outbound messages (notify/outbox.hpp) are in each place, for the gauges and the admin
-- summary. Read-only.
-- KEYS: due set, lease set, dead set
-- ARGV: now ms
-- Returns {queued, due now (overdue included), being sent, dead}.
return {
  redis.call('ZCARD', KEYS[1]),
  redis.call('ZCOUNT', KEYS[1], '-inf', ARGV[1]),
  redis.call('ZCARD', KEYS[2]),
  redis.call('ZCARD', KEYS[3]),
}
