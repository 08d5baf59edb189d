--[[
  acquire-load-3: takes a user's load lock and reads the user's generation in the same step, so
  the generation a loader will commit against is read before it reads the database. Refuses when
  the user is already loaded (a load committed between the caller's warm check and this call).

  KEYS[1]  the user's load lock   ({<prefix>:u:<user>}:lock)
  KEYS[2]  the user's generation  ({<prefix>:u:<user>}:gen)
  KEYS[3]  the user's servers     ({<prefix>:u:<user>}:servers)
  ARGV[1]  owner token (random)
  ARGV[2]  lock TTL in ms

  Returns: { 1, generation }    acquired
           { 0, remainingMs }   held by another loader (remainingMs = its PTTL)
           { 2 }                already loaded: read the servers instead
]]
if redis.call('EXISTS', KEYS[3]) == 1 then
  return { 2 }
end
local generation = tonumber(redis.call('GET', KEYS[2]) or '0')
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return { 1, generation }
end
return { 0, redis.call('PTTL', KEYS[1]) }
