-- Reservation check-and-increment for the Redis + Lua peer of scripts/bench.
-- Data: one hash per SKU, key stock:{<sku>}, fields <location>:on_hand and
-- <location>:reserved (see docs/benchmarks.md).
-- KEYS[1] = stock:{<sku>}   ARGV[1] = location   ARGV[2] = qty (> 0)
-- Returns the new reserved count, or -1 when free = on_hand - reserved < qty (nothing
-- changed). Runs atomically: no other command runs between the check and the increment.
local location = ARGV[1]
local qty = tonumber(ARGV[2])
local counts = redis.call('HMGET', KEYS[1], location .. ':on_hand', location .. ':reserved')
local on_hand = tonumber(counts[1])
if on_hand == nil then
  return redis.error_reply('NOTFOUND ' .. KEYS[1] .. ' has no ' .. location)
end
local reserved = tonumber(counts[2]) or 0
if on_hand - reserved < qty then
  return -1
end
return redis.call('HINCRBY', KEYS[1], location .. ':reserved', qty)
