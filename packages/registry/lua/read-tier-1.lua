--[[
  read-tier-1 (contract v2): one consistent snapshot of a tier in one round trip (index and values
  together), with the tier's epoch (set by every whole replace; '' when the tier was never
  replaced or was lost: a flush, an eviction).

  KEYS[1]  tier index hash (see put-server-2)
  ARGV[1]  tier version the caller already holds ('' = none)
  ARGV[2]  value-key prefix of the tier ("<namespace>::")
  ARGV[3]  epoch the caller already holds

  Value keys are derived from the index ("k:<name>" fields) and share KEYS[1]'s hash tag, so the
  script stays inside one slot on Redis Cluster. Values are returned as Keyv serialized them.

  Returns: { tierVersion, epoch }                         unchanged: tierVersion == ARGV[1], epoch == ARGV[3]
           { tierVersion, epoch, names[], values[] }      otherwise (a missing value is false/nil)
]]
local meta = redis.call('HMGET', KEYS[1], '#tier', '#epoch')
local tierVersion = tonumber(meta[1] or '0')
local epoch = meta[2] or ''
if ARGV[1] ~= '' and tonumber(ARGV[1]) == tierVersion and ARGV[3] == epoch then
  return { tierVersion, epoch }
end
local fields = redis.call('HGETALL', KEYS[1])
local names = {}
local keys = {}
for i = 1, #fields, 2 do
  local field = fields[i]
  if string.sub(field, 1, 2) == 'k:' then
    names[#names + 1] = string.sub(field, 3)
    keys[#keys + 1] = ARGV[2] .. fields[i + 1]
  end
end
-- MGET in chunks: unpack() of more than a few thousand items overflows the Lua stack.
local values = {}
for first = 1, #keys, 1000 do
  local chunk = redis.call('MGET', unpack(keys, first, math.min(first + 999, #keys)))
  for j = 1, #chunk do
    values[#values + 1] = chunk[j]
  end
end
return { tierVersion, epoch, names, values }
