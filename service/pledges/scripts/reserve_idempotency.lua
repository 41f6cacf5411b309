-- Claims an Idempotency-Key for one pledge request, or says what became of an earlier claim.
-- KEYS[1] the key's hash (request, state = claimed | done, pledge_id, status, location, body)
-- ARGV: the request's hash, the new pledge's id, how long a claim lasts (ms)
-- Returns {'reserved', id} (the key was free: this request creates pledge `id`),
-- {'in_progress', id} (the same request holds the claim), {'replay', status, location, body}
-- (the same request was answered before), or {'conflict'} (another request used the key).
local found = redis.call('HMGET', KEYS[1], 'request', 'state', 'pledge_id', 'status', 'location', 'body')
if not found[1] then
  redis.call('HSET', KEYS[1], 'request', ARGV[1], 'state', 'claimed', 'pledge_id', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'reserved', ARGV[2]}
end
if found[1] ~= ARGV[1] then return {'conflict'} end
if found[2] == 'done' then return {'replay', found[4], found[5], found[6]} end
return {'in_progress', found[3]}
