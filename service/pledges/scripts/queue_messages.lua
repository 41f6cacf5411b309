-- Prepended (`--! prepend queue_messages.lua`) to the scripts that change a pledge: they queue
-- the reader's messages the change makes (pledge_message.hpp) in the same script as the change,
-- so one applied event queues its messages once, and a duplicate (or a change that lost its
-- compare-and-set) none. Queued into the outbound messages' due set and items hash
-- (notify/outbox.hpp); the sender reads the pledge again just before sending.

-- ARGV from `at`: m, then m quadruples (webhook-id, due ms, the queued message's text, '1' when
-- it is about a payment and is queued only with that payment's first counting, else '0').
-- Nothing is queued for a pledge without a sealed address (never given, or erased), and an id
-- queued before is left as it is (its text and due time are the first queuing's). Returns the
-- index after them and how many were queued.
local function queue_messages(pledge, due, items, at, payment_counted)
  local m = tonumber(ARGV[at])
  local queued = 0
  local reachable = redis.call('HEXISTS', pledge, 'sealed_email') == 1
  for j = at + 1, at + 4 * m, 4 do
    if reachable and (ARGV[j + 3] == '0' or payment_counted) then
      if redis.call('HSETNX', items, ARGV[j], ARGV[j + 2]) == 1 then
        redis.call('ZADD', due, ARGV[j + 1], ARGV[j])
        queued = queued + 1
      end
    end
  end
  return at + 1 + 4 * m, queued
end
