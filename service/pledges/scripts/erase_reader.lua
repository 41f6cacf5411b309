-- Erases a reader from their pledges: the sealed address and name go, the accounting stays
-- (amounts, states, history, counts). With no address a pledge queues no message, and one
-- queued before finds none to send to.
-- KEYS: the reader's pledge index (<prefix>reader:<reader hash>), then the pledges it lists
-- Returns how many pledges held an address.
local erased = 0
for j = 2, #KEYS do
  if redis.call('HDEL', KEYS[j], 'sealed_email', 'sealed_name') > 0 then erased = erased + 1 end
end
redis.call('DEL', KEYS[1])
return erased
