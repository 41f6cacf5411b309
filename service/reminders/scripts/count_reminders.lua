-- Counts reminders by where they are, for the metrics.
-- KEYS: due set, lease set, dead set; ARGV: now ms
-- Returns {pending, pending due by now, leased, dead}.
return {redis.call('ZCARD', KEYS[1]), redis.call('ZCOUNT', KEYS[1], '-inf', ARGV[1]),
        redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3])}
