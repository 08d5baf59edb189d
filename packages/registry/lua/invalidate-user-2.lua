--[[
  invalidate-user-2: a change to a user's access. Bumps the user's generation (so any load that
  read the database before the change cannot commit) and drops the cached servers (so the next
  read reloads). Announces it so every instance drops its near-cache copy.

  KEYS[1]  the user's generation
  KEYS[2]  the user's servers
  ARGV[1]  change-bus channel
  ARGV[2]  change-bus message template (JSON) with the literal "__GEN__" where the new generation goes

  Returns: { newGeneration, 1 if a cached copy was dropped else 0 }
]]
local generation = redis.call('INCR', KEYS[1])
local dropped = redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[1], (string.gsub(ARGV[2], '__GEN__', tostring(generation))))
return { generation, dropped }
