-- Appends a received webhook event to the stream, unless the backlog is at its bound.
-- The backlog is what the stream holds: every entry is deleted as it is acknowledged, so what is
-- left was received and not processed yet. Past the bound nothing is added (nor trimmed to make
-- room): the sender hears 503 and retries, which Stripe does for three days.
-- KEYS: stream; ARGV: max backlog (0: no bound), event id, type, body, now ms
-- Returns 1, or 0 (nothing added).
local bound = tonumber(ARGV[1])
if bound > 0 and redis.call('XLEN', KEYS[1]) >= bound then return 0 end
redis.call('XADD', KEYS[1], '*', 'event_id', ARGV[2], 'type', ARGV[3], 'body', ARGV[4], 'received_ms', ARGV[5])
return 1
