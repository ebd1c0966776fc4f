/**
 * The Redis broker's Lua scripts (run by `redisStore.ts`). Each runs atomically in Redis.
 *
 * Cluster rules they keep: every key a script touches is passed in KEYS, and every key (and the
 * pub/sub channel) of one channel shares a hash tag (`{<prefix><channel>}:…`), so a script runs
 * on the one shard that owns the channel. No script builds a key name.
 *
 * Payloads: the app's JSON (a message body without `seq`, a presence member) is stored as given
 * and never re-encoded (cjson would change numbers and empty arrays in the app's data). Scripts
 * wrap it with `cjson.encode` as a string field, so nothing is spliced into or sliced out of JSON.
 * A message's sequence number is its stream entry id (`<seq>-0`).
 *
 * Published events (`cjson` objects, all fields strings):
 * - `{kind:"message", epoch, id:"<seq>-0", body}`: a stored message, published once it is safe
 *   to deliver (see `RELEASE`);
 * - `{kind:"presence", type, member}`: a presence change.
 * The publish command (`SPUBLISH` on Redis ≥ 7, else `PUBLISH`) and the pub/sub channel come in
 * ARGV: a shard channel is not a key, and it hashes to the channel's slot.
 */

/**
 * Publish stored messages after the release mark up to `upto`, and move the mark. Messages are
 * published in sequence order exactly once, whoever stored them.
 * Expects locals: `stream`, `released` (key names), `epoch`, `upto`, `publish`, `pubsub`.
 */
const RELEASE_UP_TO = `
local mark = tonumber(redis.call('GET', released) or '0')
if upto > mark then
  local entries = redis.call('XRANGE', stream, (mark + 1) .. '-0', upto .. '-0')
  for _, entry in ipairs(entries) do
    redis.call(publish, pubsub, cjson.encode({kind = 'message', epoch = epoch, id = entry[1], body = entry[2][2]}))
  end
  redis.call('SET', released, upto)
end
`;

/**
 * Store a message (idempotent by id) with the channel's next sequence number. Without replicas
 * it is released (published) at once. With replicas the caller first waits for them to have it
 * (`WAIT`), then runs `RELEASE`: what subscribers see and what the app is told is stored has
 * then survived a failover to a replica.
 *
 * KEYS seq, stream, ids, epoch, released.
 * ARGV id, body (message JSON without seq), historySize, new epoch, publish command, pub/sub channel.
 * Returns {added (1|0), seq, body, online replicas (0: released already)}.
 */
export const APPEND = `
local stream, released, publish, pubsub = KEYS[2], KEYS[5], ARGV[5], ARGV[6]
redis.call('SET', KEYS[4], ARGV[4], 'NX')
local epoch = redis.call('GET', KEYS[4])
local added, upto, body = 0, nil, nil
local existing = redis.call('ZSCORE', KEYS[3], ARGV[1])
if existing then
  local entries = redis.call('XRANGE', stream, existing .. '-0', existing .. '-0')
  if entries[1] then
    upto = tonumber(existing)
    body = entries[1][2][2]
  end
end
if not upto then
  added = 1
  upto = redis.call('INCR', KEYS[1])
  body = ARGV[2]
  local size = tonumber(ARGV[3])
  -- Approximate: Redis drops whole stream nodes, cheaply; HISTORY shows only the last \`size\`.
  -- At least one entry stays, so the message can still be released.
  redis.call('XADD', stream, 'MAXLEN', '~', math.max(size, 1), upto .. '-0', 'm', body)
  redis.call('ZADD', KEYS[3], upto, ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. (upto - size + 1))
end
-- Replicas still in their initial sync get everything, this message included, when it ends.
local replicas = 0
for _ in string.gmatch(redis.call('INFO', 'replication'), 'state=online') do replicas = replicas + 1 end
if replicas == 0 then
${RELEASE_UP_TO}
end
return {added, upto, body, replicas}
`;

/**
 * Publish what is stored up to a sequence number, after the replicas acknowledged it.
 * KEYS stream, released, epoch. ARGV upto, publish command, pub/sub channel.
 */
export const RELEASE = `
local stream, released, publish, pubsub = KEYS[1], KEYS[2], ARGV[2], ARGV[3]
local epoch = redis.call('GET', KEYS[3]) or ''
local upto = tonumber(ARGV[1])
${RELEASE_UP_TO}
return 1
`;

/**
 * Read history: only released messages, and at most the last `historySize` of them (the stream
 * is trimmed approximately, so it may hold a few more).
 * KEYS stream, released, epoch. ARGV first seq (0 for the oldest), limit ('' for none), historySize, new epoch.
 * Returns {epoch, released seq, oldest seq kept ('' if none), flat list of entry id, body}.
 */
export const HISTORY = `
redis.call('SET', KEYS[3], ARGV[4], 'NX')
local epoch = redis.call('GET', KEYS[3])
local top = tonumber(redis.call('GET', KEYS[2]) or '0')
local floor = math.max(1, top - tonumber(ARGV[3]) + 1)
local oldestSeq = ''
local out = {}
if floor <= top then
  local oldest = redis.call('XRANGE', KEYS[1], floor .. '-0', top .. '-0', 'COUNT', 1)
  if oldest[1] then oldestSeq = oldest[1][1] end
  local from = math.max(floor, tonumber(ARGV[1]))
  local entries = {}
  if from <= top then
    if ARGV[2] == '' then
      entries = redis.call('XRANGE', KEYS[1], from .. '-0', top .. '-0')
    elseif tonumber(ARGV[2]) > 0 then
      local reversed = redis.call('XREVRANGE', KEYS[1], top .. '-0', from .. '-0', 'COUNT', ARGV[2])
      for i = #reversed, 1, -1 do entries[#entries + 1] = reversed[i] end
    end
  end
  for _, entry in ipairs(entries) do
    out[#out + 1] = entry[1]
    out[#out + 1] = entry[2][2]
  end
end
return {epoch, top, oldestSeq, out}
`;

/**
 * KEYS presence (connectionId → member JSON), presence nodes (connectionId → nodeId).
 * ARGV connectionId, member JSON, nodeId, publish command, pub/sub channel.
 */
export const PRESENCE_SET = `
local added = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
local kind = 'update'
if added == 1 then kind = 'enter' end
redis.call(ARGV[4], ARGV[5], cjson.encode({kind = 'presence', type = kind, member = ARGV[2]}))
return kind
`;

/** KEYS presence, presence nodes. ARGV connectionId, publish command, pub/sub channel. Returns the member JSON or nil. */
export const PRESENCE_REMOVE = `
local member = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if not member then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call(ARGV[2], ARGV[3], cjson.encode({kind = 'presence', type = 'leave', member = member}))
return member
`;

/**
 * Remove every member a set of nodes holds on the channel, publishing their leave.
 * KEYS presence, presence nodes. ARGV publish command, pub/sub channel, nodeId… Returns how many left.
 */
export const PRESENCE_REMOVE_NODES = `
local gone = {}
for i = 3, #ARGV do gone[ARGV[i]] = true end
local nodes = redis.call('HGETALL', KEYS[2])
local removed = 0
for i = 1, #nodes, 2 do
  if gone[nodes[i + 1]] then
    local member = redis.call('HGET', KEYS[1], nodes[i])
    redis.call('HDEL', KEYS[2], nodes[i])
    if member then
      redis.call('HDEL', KEYS[1], nodes[i])
      redis.call(ARGV[1], ARGV[2], cjson.encode({kind = 'presence', type = 'leave', member = member}))
      removed = removed + 1
    end
  end
end
return removed
`;

/** KEYS presence, presence nodes. Returns {flat connectionId, member JSON; flat connectionId, nodeId}. */
export const PRESENCE_READ = `
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2])}
`;

/**
 * What a process watching a channel checks each heartbeat: the epoch, the release mark (to read
 * back a tail pub/sub lost) and which nodes hold members (to notice a dead one).
 * KEYS epoch, released, presence nodes. Returns {epoch or '', released seq, flat nodeIds}.
 */
export const WATCH = `
return {redis.call('GET', KEYS[1]) or '', tonumber(redis.call('GET', KEYS[2]) or '0'), redis.call('HVALS', KEYS[3])}
`;
