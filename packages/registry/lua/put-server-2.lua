--[[
  put-server-2: writes one server of a tier if its version is newer than the stored one.

  KEYS[1]  value key of the server (Keyv layout: <namespace>::<encoded name>)
  KEYS[2]  tier index hash: field <name> -> config version, field "#tier" -> tier version
  ARGV[1]  server name (validated: no '#' can occur)
  ARGV[2]  config version (integer, from the global sequence)
  ARGV[3]  value, already serialized by Keyv's serializer in JS (never parsed here)
  ARGV[4]  change-bus channel ('' = do not publish)
  ARGV[5]  change-bus message (JSON, built in JS)

  Returns: { 1, tierVersion } written
           { 0, storedVersion } refused: the stored version is the same or newer
]]
local stored = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
local version = tonumber(ARGV[2])
if stored >= version then
  return { 0, stored }
end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local tierVersion = redis.call('HINCRBY', KEYS[2], '#tier', 1)
if ARGV[4] ~= '' then
  redis.call('PUBLISH', ARGV[4], ARGV[5])
end
return { 1, tierVersion }
