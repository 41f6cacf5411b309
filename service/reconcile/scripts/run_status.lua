-- Reads whether a run holds the lease and the state hash, together.
-- KEYS: state hash, lease. Returns {1 if leased else 0, the state as HGETALL}.
return {redis.call('EXISTS', KEYS[2]), redis.call('HGETALL', KEYS[1])}
