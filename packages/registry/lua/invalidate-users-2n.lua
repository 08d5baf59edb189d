--[[
  invalidate-users-2n (contract v2): a change to the access of a batch of users (KEYS: two per
  user, so the file name says 2n). For each user: bump the generation (a load that read the
  database before the change cannot commit) and drop the cached servers (the next read reloads).
  One message for the batch tells every instance to drop its copies; the message is built and
  schema-checked in TypeScript (a `users.invalidated` event naming exactly this batch's users) and
  published here, atomically with the change. On Redis Cluster the caller groups users by hash
  slot, so every key of one call is in one slot.

  KEYS[2i-1]  user i's generation  ({<prefix>:u:<user>}:gen)
  KEYS[2i]    user i's servers     ({<prefix>:u:<user>}:servers)
  ARGV[1]     change-bus channel
  ARGV[2]     the event (JSON)

  Returns: the number of cached entries dropped
]]
local dropped = 0
for i = 1, #KEYS, 2 do
  redis.call('INCR', KEYS[i])
  dropped = dropped + redis.call('DEL', KEYS[i + 1])
end
redis.call('PUBLISH', ARGV[1], ARGV[2])
return dropped
