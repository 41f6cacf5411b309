-- Erases a reader from their pledges: the sealed address and name go, the accounting stays
-- (amounts, states, history, counts). With no address a pledge queues no message, and one
-- queued before finds none to send to.
-- KEYS: the reader's pledge index (<prefix>reader:<reader hash>), then the pledges it lists
-- ARGV: those pledges' ids, in the same order
-- Returns how many pledges held an address.
-- Each pledge leaves every reader index that lists it (reader_indexes: the paid address's too,
-- named in the pledge rather than in KEYS, as only the pledge knows them). Only the pledges
-- given leave KEYS[1]: one the reader made after it was read (its SMEMBERS runs before this
-- script) stays listed, for the next erasure to find.
local erased = 0
for j = 2, #KEYS do
  local listed = redis.call('HGET', KEYS[j], 'reader_indexes') or ''
  for index in string.gmatch(listed, '%S+') do redis.call('SREM', index, ARGV[j - 1]) end
  redis.call('HDEL', KEYS[j], 'reader_indexes')
  if redis.call('HDEL', KEYS[j], 'sealed_email', 'sealed_name') > 0 then erased = erased + 1 end
  redis.call('SREM', KEYS[1], ARGV[j - 1])
end
return erased
