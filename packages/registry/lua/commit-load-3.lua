--[[
  commit-load-3 (contract v2): the fenced commit of a user's private servers. Checks that the caller still holds
  the load lock (token) AND that the user's generation has not moved since the lock was taken;
  then writes the servers and the loaded flag as ONE key with one TTL (the flag is the key's
  existence, so flag and data can never expire apart), releases the lock and announces the load.

  KEYS[1]  the user's load lock
  KEYS[2]  the user's generation
  KEYS[3]  the user's servers (the Keyv entry: loaded flag and data in one value)
  ARGV[1]  owner token
  ARGV[2]  generation read when the lock was taken
  ARGV[3]  value serialized by Keyv's serializer in JS (never parsed here)
  ARGV[4]  TTL of the value in ms
  ARGV[5]  change-bus channel
  ARGV[6]  change-bus message for "loaded" (JSON)
  ARGV[7]  change-bus message for "unlocked" (JSON): published when the lock ends without a commit,
           so waiters try again at once instead of sleeping until the lock's TTL

  Returns: { 1 }                 committed
           { -1 }                LOCK_LOST: the lock expired or another loader holds it; nothing written
           { -2, generation }    STALE_GENERATION: access changed during the load; nothing written,
                                 the lock is released and "unlocked" published
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return { -1 }
end
local generation = tonumber(redis.call('GET', KEYS[2]) or '0')
if generation ~= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[5], ARGV[7])
  return { -2, generation }
end
redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[4])
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[5], ARGV[6])
return { 1 }
