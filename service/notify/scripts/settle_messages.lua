-- Records what became of leased messages (notify/outbox.hpp), each only while its lease is the
-- one the sender took (a sender that outlived its lease lost the message to another).
-- KEYS: due set, lease set, items, failures, dead set, errors
-- ARGV: now ms, n, then n sextuples (id, lease until ms as claimed, outcome, when ms, failed
--       attempts, error) -- outcome: 'done' (sent, or nothing left to send: the message goes),
--       'retry' (due again at `when`), 'dead' (kept as a dead letter, for a replay)
-- Returns how many were recorded.
local recorded = 0
for j = 3, 2 + 6 * tonumber(ARGV[2]), 6 do
  local id, outcome = ARGV[j], ARGV[j + 2]
  if redis.call('ZMSCORE', KEYS[2], id)[1] == ARGV[j + 1] then
    redis.call('ZREM', KEYS[2], id)
    if outcome == 'done' then
      redis.call('HDEL', KEYS[3], id)
      redis.call('HDEL', KEYS[4], id)
      redis.call('HDEL', KEYS[6], id)
    elseif outcome == 'retry' then
      redis.call('ZADD', KEYS[1], ARGV[j + 3], id)
      redis.call('HSET', KEYS[4], id, ARGV[j + 4])
      redis.call('HSET', KEYS[6], id, ARGV[j + 5])
    else
      redis.call('ZADD', KEYS[5], ARGV[1], id)
      redis.call('HSET', KEYS[4], id, ARGV[j + 4])
      redis.call('HSET', KEYS[6], id, ARGV[j + 5])
    end
    recorded = recorded + 1
  end
end
return recorded
