--[[
  replace-tier-1 (contract v2): replaces a whole tier at once, so readers see the old set or the new set, never
  a mix (the app-tier leader, once per deploy).

  KEYS[1]  tier index hash (see put-server-2)
  ARGV[1]  expected tier version ('' = any): a fence against a concurrent writer
  ARGV[2]  value-key prefix of the tier ("<namespace>::")
  ARGV[3]  change-bus channel ('' = do not publish)
  ARGV[4]  change-bus message (JSON)
  ARGV[5]  content hash of what is written, kept in the index as "#hash" ('' = none)
  ARGV[6]  the new epoch of the tier, kept as "#epoch": readers take a changed epoch as a new tier
           (after a flush the tier version starts again, so versions alone cannot say "newer")
  ARGV[7..] groups of four: name, encoded name, config version, serialized value

  Value keys are ARGV[2] .. <encoded name>; they are not in KEYS because the old names are known
  only inside the script. Every one carries the tier's hash tag (ARGV[2] starts with it), so all
  keys the script touches are in KEYS[1]'s slot: safe on Redis Cluster.

  Returns: { 1, tierVersion } replaced
           { 0, tierVersion } refused: the tier version is not ARGV[1]
]]
local current = tonumber(redis.call('HGET', KEYS[1], '#tier') or '0')
if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= current then
  return { 0, current }
end
local keep = {}
for i = 7, #ARGV, 4 do
  keep[ARGV[i]] = true
end
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local field = fields[i]
  if string.sub(field, 1, 2) == 'k:' and not keep[string.sub(field, 3)] then
    redis.call('DEL', ARGV[2] .. fields[i + 1])
  end
end
redis.call('DEL', KEYS[1])
for i = 7, #ARGV, 4 do
  redis.call('SET', ARGV[2] .. ARGV[i + 1], ARGV[i + 3])
  redis.call('HSET', KEYS[1], 'v:' .. ARGV[i], ARGV[i + 2], 'k:' .. ARGV[i], ARGV[i + 1])
end
local tierVersion = current + 1
redis.call('HSET', KEYS[1], '#tier', tierVersion, '#epoch', ARGV[6])
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], '#hash', ARGV[5])
end
if ARGV[3] ~= '' then
  redis.call('PUBLISH', ARGV[3], ARGV[4])
end
return { 1, tierVersion }
