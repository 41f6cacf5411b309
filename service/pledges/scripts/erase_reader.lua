-- Erases a reader from their pledges: the sealed address and name go, the accounting stays
-- (amounts, states, history, counts). With no address a pledge queues no message, and one
-- queued before finds none to send to.
-- KEYS: the reader's pledge index (<prefix>reader:<reader hash>), then the pledges it lists
-- ARGV: those pledges' ids, in the same order
-- Returns how many pledges held an address.
-- Only the pledges given leave the index: one the reader made after the index was read (its
-- SMEMBERS runs before this script) stays listed, for the next erasure to find.
local erased = 0
for j = 2, #KEYS do
  if redis.call('HDEL', KEYS[j], 'sealed_email', 'sealed_name') > 0 then erased = erased + 1 end
  redis.call('SREM', KEYS[1], ARGV[j - 1])
end
return erased
