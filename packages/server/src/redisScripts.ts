/**
 * The Redis broker's Lua scripts (`redisBroker.ts`) and the typed commands ioredis makes of them.
 */

// Lua scripts. Each one runs atomically in Redis, and the ones that change state publish their
// event from inside the script, so pub/sub order is the order of the changes in every process.
//
// Presence values are `{"nodeId":"<id>","member":<member JSON>}`. Node ids are restricted to
// characters JSON does not escape, so scripts slice the value instead of re-encoding the member
// (re-encoding with cjson would change numbers and empty arrays in the app's data).

/** KEYS seq, stream, ids, epoch. ARGV id, body (message JSON without seq), historySize, pubsub, new epoch. */
export const APPEND = `
redis.call('SET', KEYS[4], ARGV[5], 'NX')
local epoch = redis.call('GET', KEYS[4])
local existing = redis.call('ZSCORE', KEYS[3], ARGV[1])
if existing then
  local entries = redis.call('XRANGE', KEYS[2], existing .. '-0', existing .. '-0')
  if entries[1] then return {0, entries[1][2][2]} end
end
local seq = redis.call('INCR', KEYS[1])
local size = tonumber(ARGV[3])
local stored = '{"seq":' .. seq .. ',' .. string.sub(ARGV[2], 2)
redis.call('XADD', KEYS[2], 'MAXLEN', size, seq .. '-0', 'm', stored)
redis.call('ZADD', KEYS[3], seq, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. (seq - size + 1))
redis.call('PUBLISH', ARGV[4], '{"kind":"message","epoch":"' .. epoch .. '","message":' .. stored .. '}')
return {1, stored}
`;

/** KEYS seq, stream, epoch. ARGV first id ('-' for all), limit ('' for none), new epoch. */
export const HISTORY = `
redis.call('SET', KEYS[3], ARGV[3], 'NX')
local epoch = redis.call('GET', KEYS[3])
local seq = redis.call('GET', KEYS[1]) or '0'
local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
local oldestSeq = ''
if oldest[1] then oldestSeq = oldest[1][1] end
local messages = {}
if ARGV[2] == '' then
  local entries = redis.call('XRANGE', KEYS[2], ARGV[1], '+')
  for i, entry in ipairs(entries) do messages[i] = entry[2][2] end
elseif tonumber(ARGV[2]) > 0 then
  local entries = redis.call('XREVRANGE', KEYS[2], '+', ARGV[1], 'COUNT', ARGV[2])
  local n = #entries
  for i, entry in ipairs(entries) do messages[n - i + 1] = entry[2][2] end
end
return {epoch, seq, oldestSeq, messages}
`;

/** KEYS presence, presence channels, node. ARGV connectionId, value, channel, pubsub, enter event, update event, ttl. */
export const PRESENCE_SET = `
redis.call('SET', KEYS[3], '1', 'PX', ARGV[7])
local added = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
if added == 1 then
  redis.call('PUBLISH', ARGV[4], ARGV[5])
  return 'enter'
end
redis.call('PUBLISH', ARGV[4], ARGV[6])
return 'update'
`;

/** KEYS presence, presence channels. ARGV connectionId, channel, pubsub, leave event prefix. */
export const PRESENCE_REMOVE = `
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
local at = string.find(value, ',"member":', 1, true)
local member = string.sub(value, at + 10, -2)
redis.call('PUBLISH', ARGV[3], ARGV[4] .. member .. '}}')
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
return member
`;

/**
 * Remove members whose node key expired (and, when ARGV[5] is set, that node's members too),
 * publishing their leave; return the remaining members.
 * KEYS presence, presence channels. ARGV channel, pubsub, leave event prefix, node key prefix, node to remove.
 */
export const PRESENCE_SWEEP = `
local all = redis.call('HGETALL', KEYS[1])
local alive = {}
local members = {}
for i = 1, #all, 2 do
  local value = all[i + 1]
  local at = string.find(value, ',"member":', 1, true)
  local node = string.sub(value, 12, at - 2)
  local live = alive[node]
  if live == nil then
    live = node ~= ARGV[5] and redis.call('EXISTS', ARGV[4] .. node) == 1
    alive[node] = live
  end
  local member = string.sub(value, at + 10, -2)
  if live then
    members[#members + 1] = member
  else
    redis.call('HDEL', KEYS[1], all[i])
    redis.call('PUBLISH', ARGV[2], ARGV[3] .. member .. '}}')
  end
end
if #members == 0 then redis.call('SREM', KEYS[2], ARGV[1]) end
return members
`;

export interface Scripts {
  pbAppend(...args: string[]): Promise<[number, string]>;
  pbHistory(...args: string[]): Promise<[string, string, string, string[]]>;
  pbPresenceSet(...args: string[]): Promise<'enter' | 'update'>;
  pbPresenceRemove(...args: string[]): Promise<string | null>;
  pbPresenceSweep(...args: string[]): Promise<string[]>;
}
