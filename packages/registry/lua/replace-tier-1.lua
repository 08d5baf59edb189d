--[[
  replace-tier-1: replaces a whole tier at once, so readers see the old set or the new set,
  never a mix (used by the app-tier leader on each deploy).

  KEYS[1]  tier index hash (see put-server-2)
  ARGV[1]  expected tier version ('' = any): a fence against a concurrent writer
  ARGV[2]  value-key prefix of the tier (<namespace>::)
  ARGV[3]  change-bus channel ('' = do not publish)
  ARGV[4]  change-bus message (JSON)
  ARGV[5..] triples: name, encoded name, config version, serialized value

  Value keys are <ARGV[2]><encoded name>. They are not listed in KEYS because the old names are
  only known inside the script; every one of them carries the tier's hash tag, so all keys the
  script touches are in the slot of KEYS[1] (safe on Redis Cluster).

  Returns: { 1, tierVersion } replaced
           { 0, tierVersion } refused: the tier version is not ARGV[1]
]]
local current = tonumber(redis.call('HGET', KEYS[1], '#tier') or '0')
if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= current then
  return { 0, current }
end
local keep = {}
for i = 5, #ARGV, 4 do
  keep[ARGV[i]] = true
end
local old = redis.call('HGETALL', KEYS[1])
for i = 1, #old, 2 do
  local name = old[i]
  if name ~= '#tier' and not keep[name] then
    -- the encoded name of an old entry is stored beside it as "=<name>" -> encoded name
    local encoded = redis.call('HGET', KEYS[1], '=' .. name)
    if encoded then
      redis.call('DEL', ARGV[2] .. encoded)
    end
  end
end
redis.call('DEL', KEYS[1])
for i = 5, #ARGV, 4 do
  redis.call('SET', ARGV[2] .. ARGV[i + 1], ARGV[i + 3])
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2], '=' .. ARGV[i], ARGV[i + 1])
end
local tierVersion = current + 1
redis.call('HSET', KEYS[1], '#tier', tierVersion)
if ARGV[3] ~= '' then
  redis.call('PUBLISH', ARGV[3], ARGV[4])
end
return { 1, tierVersion }
