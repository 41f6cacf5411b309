-- Reads the stats hashes together (one consistent view).
-- KEYS: stats active, stats MRR, when last rebuilt
-- Returns {active as HGETALL, MRR as HGETALL, when last rebuilt or nil}.
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), redis.call('GET', KEYS[3])}
