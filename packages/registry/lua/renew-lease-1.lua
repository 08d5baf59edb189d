--[[
  renew-lease-1: extends a lease only if the caller still owns it.

  KEYS[1]  lease key
  ARGV[1]  owner token
  ARGV[2]  new TTL in ms

  Returns: { 1 } renewed
           { 0 } lost: the lease expired or another owner holds it
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return { 1 }
end
return { 0 }
