"""The Lua scripts that make the Redis ledger's check-and-reserve and feedback atomic.

Times travel as strings of integer microseconds: Redis turns Lua numbers into strings with 14
significant digits, which would round today's 16-digit timestamps.
"""

COUNTED = """
local COUNTED = {reserved=true, delivered=true, dismissed=true, opened=true, clicked=true, converted=true}
local function counts(c, cap, now, ttl)
  if c.transactional or not COUNTED[c.status] then return false end
  local at = tonumber(c.at)
  if c.status == 'reserved' and at + ttl <= now then return false end
  if cap.channels ~= '' and not string.find(',' .. cap.channels .. ',', ',' .. c.channel .. ',', 1, true) then
    return false
  end
  if cap.offer_id ~= '' and c.offer_id ~= cap.offer_id then return false end
  return true
end
"""

# KEYS: event, decision, contact ids by time (zset), contacts (hash), the log: decision ids by decided time (zset),
#       the subject's decision ids (set)
# ARGV: decision_id, body, subject, fingerprint, contact json or '', now_us, ttl_us, caps json, would_have, at_us,
#       decided_at_us
COMMIT = (
    COUNTED
    + """
local existing = redis.call('GET', KEYS[1])
if existing then
  return {'duplicate', existing}
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {'conflict', ARGV[1]}
end
if ARGV[5] ~= '' then
  local now = tonumber(ARGV[6])
  local ttl = tonumber(ARGV[7])
  for _, cap in ipairs(cjson.decode(ARGV[8])) do
    local count = 0
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], cap.lo, '(' .. cap.hi)) do
      local raw = redis.call('HGET', KEYS[4], id)
      if raw and counts(cjson.decode(raw), cap, now, ttl) then count = count + 1 end
    end
    if count >= cap.limit then
      return {'cap_exceeded', cap.name}
    end
  end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'body', ARGV[2], 'subject', ARGV[3], 'fingerprint', ARGV[4], 'would_have', ARGV[9],
  'recorded_at', ARGV[6])
redis.call('ZADD', KEYS[5], ARGV[11], ARGV[1])
redis.call('SADD', KEYS[6], ARGV[1])
if ARGV[5] ~= '' then
  redis.call('ZADD', KEYS[3], ARGV[10], ARGV[1])
  redis.call('HSET', KEYS[4], ARGV[1], ARGV[5])
end
return {'created', ARGV[1]}
"""
)

# Mirrors guardrails.contacts.advance_status; the shared ledger tests hold the two to the same behaviour.
# KEYS: decision, feedback (hash outcome -> occurred_at_us), contacts (hash), converted flag,
#       the log: "decision_id<US>outcome" by occurred time (zset)
# ARGV: decision_id, outcome, occurred_at_us, value or '', currency or '', the reward it earns or ''
# (the value and currency go on the decision as `value:<outcome>`, `currency:<outcome>`; the reward as `reward`)
FEEDBACK = """
local RANK = {reserved=0, released=0, failed=0, delivered=1, dismissed=2, opened=3, clicked=4, converted=5}
local ENGAGED = {opened=true, clicked=true, converted=true}
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 'missing'
end
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3]) == 0 then
  return 'duplicate'
end
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1] .. '\\31' .. ARGV[2])
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[1], 'value:' .. ARGV[2], ARGV[4], 'currency:' .. ARGV[2], ARGV[5])
end
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[1], 'reward', ARGV[6], 'reward_currency', ARGV[5])
end
local raw = redis.call('HGET', KEYS[3], ARGV[1])
if raw then
  local c = cjson.decode(raw)
  if ARGV[2] == 'failed' then
    if c.status == 'reserved' then c.status = 'released' end
  elseif RANK[ARGV[2]] > RANK[c.status] then
    c.status = ARGV[2]
  end
  redis.call('HSET', KEYS[3], ARGV[1], cjson.encode(c))
end
if ARGV[2] == 'converted' then
  redis.call('SET', KEYS[4], '1')
end
return 'recorded'
"""
