-- Replaces a pledge's sealed address with the one the reader paid with (pledge_reader.hpp),
-- only while the pledge keeps one: an erasure that came first is not undone.
-- KEYS: pledge, the paid address's reader's pledge index (erase_reader.lua)
-- ARGV: the sealed address, the pledge id
-- Returns 1 when replaced, 0 when the pledge has no address (erased, never given, or gone).
if redis.call('HEXISTS', KEYS[1], 'sealed_email') == 0 then return 0 end
redis.call('HSET', KEYS[1], 'sealed_email', ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return 1
