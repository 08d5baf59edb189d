--[[
  invalidate-users-2n: a change to the access of a batch of users (KEYS: two per user, so the
  file name says 2n). For each user: bump the generation (a load that read the database before
  the change cannot commit) and drop the cached servers (the next read reloads). One message for
  the batch tells every instance to drop its copies. On Redis Cluster the caller groups users by
  hash slot, so every key of one call is in one slot.

  KEYS[2i-1]  user i's generation  ({<prefix>:u:<user>}:gen)
  KEYS[2i]    user i's servers     ({<prefix>:u:<user>}:servers)
  ARGV[1]     change-bus channel
  ARGV[2]     origin (instance id)
  ARGV[2+i]   user i's id (for the message only; never used to build a key)

  Returns: the number of cached entries dropped
]]
local dropped = 0
local users = {}
for i = 1, #KEYS, 2 do
  redis.call('INCR', KEYS[i])
  dropped = dropped + redis.call('DEL', KEYS[i + 1])
  users[#users + 1] = ARGV[2 + (i + 1) / 2]
end
redis.call('PUBLISH', ARGV[1], cjson.encode({ type = 'users.invalidated', userIds = users, origin = ARGV[2] }))
return dropped
