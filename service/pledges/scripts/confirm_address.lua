-- Replaces a pledge's sealed address with the one the reader paid with (pledge_reader.hpp),
-- only while the pledge keeps one: an erasure that came first is not undone.
-- KEYS: pledge
-- ARGV: the sealed address
-- Returns 1 when replaced, 0 when the pledge has no address (erased, never given, or gone).
if redis.call('HEXISTS', KEYS[1], 'sealed_email') == 0 then return 0 end
redis.call('HSET', KEYS[1], 'sealed_email', ARGV[1])
return 1
