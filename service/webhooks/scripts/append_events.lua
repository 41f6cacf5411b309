-- Appends several events to the stream, all or none: none when they would take the backlog past
-- its bound (append_event.lua says why).
-- KEYS: stream; ARGV: max backlog (0: no bound), now ms, then event id, type, body triples
-- Returns 1, or 0 (nothing added).
local bound = tonumber(ARGV[1])
if bound > 0 and redis.call('XLEN', KEYS[1]) + (#ARGV - 2) / 3 > bound then return 0 end
for i = 3, #ARGV - 2, 3 do
  redis.call('XADD', KEYS[1], '*', 'event_id', ARGV[i], 'type', ARGV[i + 1], 'body', ARGV[i + 2], 'received_ms', ARGV[2])
end
return 1
