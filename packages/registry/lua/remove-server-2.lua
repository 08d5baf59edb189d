--[[
  remove-server-2: removes one server from a tier.

  KEYS[1]  value key of the server
  KEYS[2]  tier index hash (see put-server-2)
  ARGV[1]  server name
  ARGV[2]  change-bus channel ('' = do not publish)
  ARGV[3]  change-bus message (JSON)

  Returns: { 1, tierVersion } removed
           { 0, 0 }           the server was not in the tier
]]
if redis.call('HEXISTS', KEYS[2], 'v:' .. ARGV[1]) == 0 then
  return { 0, 0 }
end
redis.call('DEL', KEYS[1])
redis.call('HDEL', KEYS[2], 'v:' .. ARGV[1], 'k:' .. ARGV[1])
local tierVersion = redis.call('HINCRBY', KEYS[2], '#tier', 1)
if ARGV[2] ~= '' then
  redis.call('PUBLISH', ARGV[2], ARGV[3])
end
return { 1, tierVersion }
