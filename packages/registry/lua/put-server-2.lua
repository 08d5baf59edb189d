--[[
  put-server-2: writes one server of a tier if its version is newer than the stored one.

  The tier index hash holds, per server, "v:<name>" -> config version and "k:<name>" -> the
  encoded name (the value key's suffix), and "#tier" -> the tier version, bumped by every change.

  KEYS[1]  value key of the server (Keyv layout: <namespace>::<encoded name>)
  KEYS[2]  tier index hash
  ARGV[1]  server name (validated)
  ARGV[2]  encoded name
  ARGV[3]  config version (integer, from the global sequence)
  ARGV[4]  value, already serialized by Keyv's serializer in JS (never parsed here)
  ARGV[5]  change-bus channel ('' = do not publish)
  ARGV[6]  change-bus message (JSON, built in JS)

  Returns: { 1, tierVersion }   written
           { 0, storedVersion } refused: the stored version is the same or newer
]]
local stored = tonumber(redis.call('HGET', KEYS[2], 'v:' .. ARGV[1]) or '0')
if stored >= tonumber(ARGV[3]) then
  return { 0, stored }
end
redis.call('SET', KEYS[1], ARGV[4])
redis.call('HSET', KEYS[2], 'v:' .. ARGV[1], ARGV[3], 'k:' .. ARGV[1], ARGV[2])
local tierVersion = redis.call('HINCRBY', KEYS[2], '#tier', 1)
if ARGV[5] ~= '' then
  redis.call('PUBLISH', ARGV[5], ARGV[6])
end
return { 1, tierVersion }
