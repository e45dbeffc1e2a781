/**
 * The Lua scripts of the Redis stores. Every script takes its data through KEYS and ARGV only (never
 * string-built), so one cached SHA serves every call, and every key of a call lives in one cluster slot.
 */
import { createHash } from 'node:crypto';

/** A script and its SHA1 (for EVALSHA). */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

function lua(source: string): LuaScript {
  return Object.freeze({ source, sha: createHash('sha1').update(source).digest('hex') });
}

/**
 * Raises the number under KEYS[1] to ARGV[1] when it is lower (absent or non-numeric counts as lower) and
 * returns the stored maximum as a string; ARGV[2] is a PX ttl or ''.
 */
export const SET_MAX = lua(`
local cur = tonumber(redis.call('GET', KEYS[1]))
if cur == nil or tonumber(ARGV[1]) > cur then
  if ARGV[2] == '' then
    redis.call('SET', KEYS[1], ARGV[1])
  else
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  end
  return ARGV[1]
end
return redis.call('GET', KEYS[1])
`);

/**
 * Takes the lease KEYS[1] (lock) for owner ARGV[1] for ARGV[2] ms if free, and returns the next fencing
 * token from the counter field `g` of KEYS[2] (fence hash, kept ARGV[3] ms); nil when the lease is held.
 */
export const ACQUIRE = lua(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local fence = redis.call('HINCRBY', KEYS[2], 'g', 1)
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  return fence
end
return false
`);

/**
 * Commits a lease: writes ARGV[3] under KEYS[3] (PX ARGV[4] unless '') iff the last written fence (field
 * `w` of KEYS[2]) is not newer than the lease's fence ARGV[2], records the fence, deletes the lock KEYS[1]
 * if ARGV[1] still owns it, and publishes ARGV[7] on channel ARGV[6] to wake waiters. Returns 1 when
 * written, 0 when fenced out.
 */
export const COMMIT = lua(`
local written = tonumber(redis.call('HGET', KEYS[2], 'w')) or 0
local ok = 0
if written <= tonumber(ARGV[2]) then
  if ARGV[4] == '' then
    redis.call('SET', KEYS[3], ARGV[3])
  else
    redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[4])
  end
  redis.call('HSET', KEYS[2], 'w', ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
  ok = 1
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
redis.call('PUBLISH', ARGV[6], ARGV[7])
return ok
`);

/** Deletes the lock KEYS[1] iff owned by ARGV[1] and publishes ARGV[3] on ARGV[2]; 1 when released. */
export const RELEASE = lua(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0
`);

/** Sets the lease KEYS[1] to ARGV[2] ms iff owned by ARGV[1]; 1 when extended. */
export const EXTEND = lua(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`);
