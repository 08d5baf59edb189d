--[[
  acquire-lease-1: takes a lease (a lock with an owner token and a TTL) if nobody holds it.

  KEYS[1]  lease key
  ARGV[1]  owner token (random, unique per attempt)
  ARGV[2]  TTL in ms

  Returns: { 1, ttlMs }        acquired
           { 0, remainingMs }  held by another owner (remainingMs = its PTTL)
]]
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return { 1, tonumber(ARGV[2]) }
end
return { 0, redis.call('PTTL', KEYS[1]) }
