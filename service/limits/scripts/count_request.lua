-- Counts a request in a fixed window: INCR, and the key expires with its window (set by the
-- window's first request only). The key holds the client address no longer than the window.
-- KEYS[1] the window's counter; ARGV: ms until the key expires
-- Returns the count so far, this request included.
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
