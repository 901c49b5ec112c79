-- Oversell check for the Redis + Lua peer of scripts/bench: scans every stock:{*} hash and
-- returns {keys scanned, rows with reserved > on_hand, total reserved}. Run once after the
-- load (not timed).
local cursor = '0'
local keys, oversold, reserved_total = 0, 0, 0
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', 'stock:{*}', 'COUNT', 10000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    keys = keys + 1
    local fields = redis.call('HGETALL', key)
    local values = {}
    for i = 1, #fields, 2 do values[fields[i]] = tonumber(fields[i + 1]) end
    for field, on_hand in pairs(values) do
      local location = string.match(field, '^(.*):on_hand$')
      if location then
        local reserved = values[location .. ':reserved'] or 0
        reserved_total = reserved_total + reserved
        if reserved > on_hand or reserved < 0 then oversold = oversold + 1 end
      end
    end
  end
until cursor == '0'
return {keys, oversold, reserved_total}
