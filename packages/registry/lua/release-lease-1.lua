--[[
  release-lease-1: deletes a lease only if the caller owns it (never another owner's lease).

  KEYS[1]  lease key
  ARGV[1]  owner token

  Returns: { 1 } released
           { 0 } not owned (expired, or held by another owner): nothing deleted
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return { 1 }
end
return { 0 }
