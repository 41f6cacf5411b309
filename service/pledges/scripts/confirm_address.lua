-- Replaces a pledge's sealed address with the one the reader paid with (pledge_reader.hpp),
-- only while the pledge keeps one: an erasure that came first is not undone. The pledge is
-- listed in the paid address's reader index too, and remembers it (reader_indexes), so an
-- erasure of either address takes it out of both.
-- KEYS: pledge, the paid address's reader's pledge index (erase_reader.lua)
-- ARGV: the sealed address, the pledge id
-- Returns 1 when replaced, 0 when the pledge has no address (erased, never given, or gone).
if redis.call('HEXISTS', KEYS[1], 'sealed_email') == 0 then return 0 end
redis.call('HSET', KEYS[1], 'sealed_email', ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
local listed = redis.call('HGET', KEYS[1], 'reader_indexes') or ''
if not string.find(' ' .. listed .. ' ', ' ' .. KEYS[2] .. ' ', 1, true) then
  redis.call('HSET', KEYS[1], 'reader_indexes', listed == '' and KEYS[2] or listed .. ' ' .. KEYS[2])
end
return 1
