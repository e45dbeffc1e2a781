import { ProtocolError } from '../errors.js';
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

/** Options of {@link RedisCounter}. */
export interface RedisCounterOptions extends PatternConnectionOptions {
  /** Prepended to every counter name to form the Redis key. @default '' */
  prefix?: string;
}

/** Options of {@link RedisCounter.incrementWithCap}. */
export interface IncrementWithCapOptions {
  /** Expiry in ms, set when this call creates the counter (a window that starts at the first increment). */
  ttl?: number;
}

/** The outcome of {@link RedisCounter.incrementWithCap}. */
export interface CappedIncrement {
  /** True when the increment was refused because it would have passed the cap. */
  capped: boolean;
  /** The counter after the call: the new value, or the unchanged value when `capped`. */
  value: number;
}

// KEYS[1] counter; ARGV: by, cap, ttl ms ('' = none). Refuses the whole increment past the cap.
const INCREMENT_WITH_CAP = defineLua(`
local current = redis.call('GET', KEYS[1])
local existed = current ~= false
current = tonumber(current or '0')
if current == nil then return redis.error_reply('ERR counter value is not a number') end
local by = tonumber(ARGV[1])
if current + by > tonumber(ARGV[2]) then return {0, current} end
local value = redis.call('INCRBY', KEYS[1], by)
if ARGV[3] ~= '' and not existed then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {1, value}
`);

/** The largest integer Redis and JavaScript both represent exactly. */
const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/**
 * Integer counters with atomic server-side scripts.
 *
 * `incrementWithCap` is **atomic**: any number of concurrent callers, in any number of processes, never
 * push a counter past its cap; an increment that would pass it is refused whole (not clamped).
 *
 * @example
 * ```ts
 * const counters = new RedisCounter(client, { prefix: 'quota:' });
 * const r = await counters.incrementWithCap('user:42', 1, 100, { ttl: 86_400_000 });
 * if (r.capped) throw new Error(`daily quota used up (${r.value})`);
 * ```
 */
export class RedisCounter {
  readonly #conn: PatternConnection;
  readonly #prefix: string;

  constructor(client: RedisPatternClient, options: RedisCounterOptions = {}) {
    assertKnownKeys('options', options, ['prefix', 'timeout']);
    const { prefix = '', timeout } = options;
    if (typeof prefix !== 'string')
      throw new TypeError(`Expected \`prefix\` to be a string, got ${describe(prefix)}`);
    this.#prefix = prefix;
    this.#conn = new PatternConnection(assertClient(client), resolveTimeout(timeout));
  }

  /** Adds `by` to the counter unless the result would exceed `cap`. */
  async incrementWithCap(
    name: string,
    by: number,
    cap: number,
    options: IncrementWithCapOptions = {},
  ): Promise<CappedIncrement> {
    const key = this.#key(name);
    assertPositiveInt('by', by);
    assertCount('by', by);
    assertCount('cap', cap);
    assertKnownKeys('options', options, ['ttl']);
    const ttl = options.ttl === undefined ? '' : String(assertTtl('ttl', options.ttl));
    const reply = await this.#conn.eval(
      'counter.incrementWithCap',
      INCREMENT_WITH_CAP,
      [key],
      [String(by), String(cap), ttl],
    );
    if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
      throw new ProtocolError(`Unexpected reply to counter.incrementWithCap: ${describe(reply)}`);
    }
    return { capped: reply[0] === 0, value: reply[1] };
  }

  /** The counter's value (0 when absent). */
  async get(name: string): Promise<number> {
    const key = this.#key(name);
    const raw = await this.#conn.run('counter.get', (c) => c.get(key));
    if (raw === null) return 0;
    const value = Number(raw);
    if (!Number.isSafeInteger(value)) {
      throw new ProtocolError(`Counter \`${key}\` holds ${describe(String(raw))}, not an integer`);
    }
    return value;
  }

  /** Removes the counter; true if it existed. */
  async delete(name: string): Promise<boolean> {
    const key = this.#key(name);
    return (await this.#conn.run('counter.delete', (c) => c.unlink(key))) > 0;
  }

  #key(name: string): string {
    return this.#prefix + assertKey('name', name);
  }
}

function assertCount(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_COUNT) {
    throw new (typeof value === 'number' ? RangeError : TypeError)(
      `Expected \`${name}\` to be an integer between 0 and ${MAX_COUNT}, got ${describe(value)}`,
    );
  }
}
