--[[
  read-tier-1: one consistent snapshot of a tier in one round trip (index and values together).

  KEYS[1]  tier index hash (see put-server-2)
  ARGV[1]  tier version the caller already holds ('' = none)
  ARGV[2]  value-key prefix of the tier ("<namespace>::")

  Value keys are derived from the index ("k:<name>" fields) and share KEYS[1]'s hash tag, so the
  script stays inside one slot on Redis Cluster. Values are returned as Keyv serialized them.

  Returns: { tierVersion }                         unchanged: tierVersion == ARGV[1]
           { tierVersion, names[], values[] }      otherwise (a missing value is false/nil)
]]
local tierVersion = tonumber(redis.call('HGET', KEYS[1], '#tier') or '0')
if ARGV[1] ~= '' and tonumber(ARGV[1]) == tierVersion then
  return { tierVersion }
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
return { tierVersion, names, values }
