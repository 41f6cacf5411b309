-- Reads what the stats hashes count of each pledge, for a rebuild of the hashes.
-- KEYS: pledges. Returns per pledge {status, interval, amount_minor, currency} (nils when gone).
local out = {}
for i, pledge in ipairs(KEYS) do
  out[i] = redis.call('HMGET', pledge, 'status', 'interval', 'amount_minor', 'currency')
end
return out
