-- Replaces the stats hashes with the sums a rebuild made, unless a pledge changed since the
-- rebuild read the version.
-- KEYS: stats active, stats MRR, version, when last rebuilt
-- ARGV: the version the pledges were read at, now ms, then currency/active/MRR triples
-- Returns {'changed'} (nothing written) or {'replaced', active before, MRR before}.
if (redis.call('GET', KEYS[3]) or '0') ~= ARGV[1] then return {'changed'} end
local before = {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2])}
redis.call('DEL', KEYS[1], KEYS[2])
for i = 3, #ARGV - 2, 3 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
end
redis.call('SET', KEYS[4], ARGV[2])
return {'replaced', before[1], before[2]}
