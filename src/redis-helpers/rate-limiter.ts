import { randomBytes } from 'node:crypto';
import { InvalidOptionError, ProtocolError } from '../errors.js';
import { assertKnownKeys, assertPositiveInt, assertTtl, describe } from '../internal/asserts.js';
import {
  assertClient,
  assertKey,
  defineLua,
  PatternConnection,
  type PatternConnectionOptions,
  type RedisPatternClient,
  resolveTimeout,
} from './connection.js';

/** How a {@link RateLimiter} counts. */
export type RateLimitMode = 'fixed' | 'sliding';

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions extends PatternConnectionOptions {
  /** Requests allowed per window. */
  limit: number;
  /** Window length in ms. */
  window: number;
  /**
   * `fixed`: a counter per id that starts at the first request and expires after `window` (bursts of up to
   * 2 × limit are possible across a window edge). `sliding`: a log of request times per id (a sorted set of
   * at most `limit` entries), so no `window`-long interval ever holds more than `limit` allowed requests.
   * @default 'sliding'
   */
  mode?: RateLimitMode;
  /** Prepended to every id to form the Redis key. @default 'ratelimit:' */
  prefix?: string;
}

/** The verdict of {@link RateLimiter.limit}. */
export interface RateLimitResult {
  /** True when the request fits the limit (and was counted). */
  allowed: boolean;
  /** Requests still allowed in the current window after this one. */
  remaining: number;
  /** Ms until the next request can be allowed again (fixed: the window ends; sliding: the oldest leaves). */
  resetMs: number;
}

// KEYS[1] counter; ARGV: limit, window ms. Refused requests are not counted.
const FIXED_WINDOW = defineLua(`
local limit = tonumber(ARGV[1])
local count = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local ttl = redis.call('PTTL', KEYS[1])
if count >= limit and ttl > 0 then return {0, 0, ttl} end
if ttl <= 0 then
  count = 0
  redis.call('SET', KEYS[1], 1, 'PX', ARGV[2])
  ttl = tonumber(ARGV[2])
else
  count = redis.call('INCR', KEYS[1]) - 1
end
return {1, limit - count - 1, ttl}
`);

// KEYS[1] log; ARGV: limit, window ms, unique member. Times come from the server's clock, so processes
// with skewed clocks share one timeline.
const SLIDING_LOG = defineLua(`
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  count = count + 1
  allowed = 1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reset = 0
if allowed == 0 or count >= limit then reset = tonumber(oldest[2]) + window - now end
return {allowed, limit - count, reset}
`);

const OPTION_KEYS = ['limit', 'window', 'mode', 'prefix', 'timeout'] as const;

/**
 * A distributed rate limiter: at most `limit` requests per `window` ms per id, across every process that
 * shares the Redis server.
 *
 * Each `limit(id)` is one **atomic** script call, so concurrent callers never get more than `limit`
 * allowances in a window between them. Refused requests are not counted. Window state expires by itself.
 *
 * @example
 * ```ts
 * const limiter = new RateLimiter(client, { limit: 100, window: 60_000, mode: 'sliding' });
 * const { allowed, remaining, resetMs } = await limiter.limit(`ip:${ip}`);
 * if (!allowed) reply.header('Retry-After', Math.ceil(resetMs / 1000)).code(429).send();
 * ```
 */
export class RateLimiter {
  readonly #conn: PatternConnection;
  readonly #limit: number;
  readonly #window: number;
  readonly #mode: RateLimitMode;
  readonly #prefix: string;
  // Sliding-log members must be unique per request: this process's random id + a sequence number.
  readonly #instance = randomBytes(6).toString('base64url');
  #sequence = 0;

  constructor(client: RedisPatternClient, options: RateLimiterOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(
        `Expected \`options\` to be an object with \`limit\` and \`window\`, got ${describe(options)}`,
      );
    }
    assertKnownKeys('options', options, OPTION_KEYS);
    const { limit, window, mode = 'sliding', prefix = 'ratelimit:', timeout } = options;
    this.#limit = assertPositiveInt('limit', limit);
    this.#window = assertTtl('window', window);
    if (!Number.isInteger(window)) {
      throw new RangeError(
        `Expected \`window\` to be a whole number of milliseconds, got ${describe(window)}`,
      );
    }
    if (mode !== 'fixed' && mode !== 'sliding') {
      throw new InvalidOptionError(`Expected \`mode\` to be 'fixed' or 'sliding', got ${describe(mode)}`);
    }
    if (typeof prefix !== 'string')
      throw new TypeError(`Expected \`prefix\` to be a string, got ${describe(prefix)}`);
    this.#mode = mode;
    this.#prefix = prefix;
    this.#conn = new PatternConnection(assertClient(client), resolveTimeout(timeout));
  }

  /** Counts one request for `id` if it fits the limit, and says whether it does. */
  async limit(id: string): Promise<RateLimitResult> {
    const key = this.#prefix + assertKey('id', id);
    const args = [String(this.#limit), String(this.#window)];
    const reply =
      this.#mode === 'fixed'
        ? await this.#conn.eval('rateLimiter.limit', FIXED_WINDOW, [key], args)
        : await this.#conn.eval(
            'rateLimiter.limit',
            SLIDING_LOG,
            [key],
            [...args, `${this.#instance}:${this.#sequence++}`],
          );
    if (!Array.isArray(reply) || reply.length !== 3 || !reply.every((n) => typeof n === 'number')) {
      throw new ProtocolError(`Unexpected reply to rateLimiter.limit: ${describe(reply)}`);
    }
    const [allowed, remaining, resetMs] = reply as [number, number, number];
    return { allowed: allowed === 1, remaining: Math.max(remaining, 0), resetMs: Math.max(resetMs, 0) };
  }

  /** Forgets every request counted for `id`. */
  async reset(id: string): Promise<void> {
    const key = this.#prefix + assertKey('id', id);
    await this.#conn.run('rateLimiter.reset', (c) => c.unlink(key));
  }
}
