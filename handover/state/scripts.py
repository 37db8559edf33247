"""Lua for RedisStateStore: each transition checks the state it expects and updates all keys.

Redis runs a script without interleaving other commands, so a check and its update are one
step for every gateway sharing the server. Times and scores arrive as strings and are stored
as such: converting them to Lua numbers would round them. A conversation's hash holds `state`
only when the bot owns it or it is closed. Agent sets are found from the hash's `agent` field
(prefix in ARGV), so these scripts suit one Redis server, not a cluster.
"""

ENQUEUE = """
-- KEYS: conversation, queue. ARGV: id, skill, vulnerable, queued_at, score
local state = redis.call('HGET', KEYS[1], 'state')
if state and state ~= 'bot' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'queued', 'skill', ARGV[2], 'vulnerable', ARGV[3],
           'at_head', '0', 'queued_at', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
return 1
"""

ACCEPT = """
-- KEYS: conversation, queue, agent's set. ARGV: id, agent, capacity, assigned_at
if redis.call('HGET', KEYS[1], 'state') ~= 'queued' then return 0 end
if redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'state', 'assigned', 'agent', ARGV[2], 'assigned_at', ARGV[4],
           'at_head', '0')
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
"""

REQUEUE = """
-- KEYS: conversation, queue.
-- ARGV: id, agent-set prefix, queued_at, at_head, score, score if vulnerable, new skill or ''
local cur = redis.call('HMGET', KEYS[1], 'state', 'agent', 'vulnerable')
if cur[1] ~= 'assigned' then return 0 end
redis.call('SREM', ARGV[2] .. cur[2], ARGV[1])
redis.call('HDEL', KEYS[1], 'agent', 'assigned_at')
redis.call('HSET', KEYS[1], 'state', 'queued', 'queued_at', ARGV[3], 'at_head', ARGV[4])
if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'skill', ARGV[7]) end
local score = ARGV[5]
if cur[3] == '1' then score = ARGV[6] end
redis.call('ZADD', KEYS[2], score, ARGV[1])
return 1
"""

REASSIGN = """
-- KEYS: conversation, from-agent's set, to-agent's set. ARGV: id, from, to, capacity
local cur = redis.call('HMGET', KEYS[1], 'state', 'agent')
if cur[1] ~= 'assigned' or cur[2] ~= ARGV[2] then return 0 end
if redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[4]) then return 0 end
redis.call('SMOVE', KEYS[2], KEYS[3], ARGV[1])
redis.call('HSET', KEYS[1], 'agent', ARGV[3])
return 1
"""

HANDBACK = """
-- KEYS: conversation, agent's set. ARGV: id, agent
local cur = redis.call('HMGET', KEYS[1], 'state', 'agent')
if cur[1] ~= 'assigned' or cur[2] ~= ARGV[2] then return 0 end
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'state', 'bot')
return 1
"""

DEQUEUE = """
-- KEYS: conversation, queue. ARGV: id
if redis.call('HGET', KEYS[1], 'state') ~= 'queued' then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'state', 'bot')
return 1
"""

CLOSE = """
-- KEYS: conversation, queue. ARGV: id, agent-set prefix
local cur = redis.call('HMGET', KEYS[1], 'state', 'agent')
if cur[1] == 'closed' then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
if cur[2] then redis.call('SREM', ARGV[2] .. cur[2], ARGV[1]) end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'state', 'closed')
return 1
"""

# Reads go through a script too, so the ids and their hashes are one consistent snapshot.
SNAPSHOT = """
-- KEYS: the queue (zset) or an agent's set. ARGV: conversation prefix, 'zset' or 'set'
local ids
if ARGV[2] == 'zset' then
  ids = redis.call('ZRANGE', KEYS[1], 0, -1)
else
  ids = redis.call('SMEMBERS', KEYS[1])
end
local hashes = {}
for i, id in ipairs(ids) do hashes[i] = redis.call('HGETALL', ARGV[1] .. id) end
return {ids, hashes}
"""

RESTORE = """
-- KEYS: queue. ARGV: conversation prefix, agent-set prefix, then per record:
-- id, state, agent, skill, vulnerable, at_head, queued_at, assigned_at, score ('' when absent)
local names = {'state', 'agent', 'skill', 'vulnerable', 'at_head', 'queued_at', 'assigned_at'}
local loaded = 0
for i = 3, #ARGV, 9 do
  local id, state = ARGV[i], ARGV[i + 1]
  local key = ARGV[1] .. id
  if redis.call('EXISTS', key) == 0 then
    local fields = {}
    for j, name in ipairs(names) do
      local value = ARGV[i + j]
      if value ~= '' then
        fields[#fields + 1] = name
        fields[#fields + 1] = value
      end
    end
    redis.call('HSET', key, unpack(fields))
    if state == 'queued' then redis.call('ZADD', KEYS[1], ARGV[i + 8], id) end
    if state == 'assigned' then redis.call('SADD', ARGV[2] .. ARGV[i + 2], id) end
    loaded = loaded + 1
  end
end
return loaded
"""
