/**
 * Over 400 lines: the public `CacheOptions` types with their doc comments (what users read in their
 * editor) next to the one function that validates them, so a new option is added in one place.
 */
import { InvalidOptionError } from './errors.js';
import {
  assertBoolean,
  assertFraction,
  assertKnownKeys,
  assertNonNegativeMs,
  assertPositiveInt,
  assertTtl,
  describe,
} from './internal/asserts.js';
import { isSerializer, type Serializer } from './serializer/serializer.js';
import { taggedJsonSerializer } from './serializer/tagged-json.js';
import type { Bus } from './stores/bus.js';
import type { Store } from './stores/store.js';
import { type Clock, systemClock } from './ttl/clock.js';
import { validateProfiles } from './ttl/profiles.js';

/** Options of the memory tier of a `Cache`. */
export interface L1Options {
  /** Most entries held. @default 10_000 */
  maxEntries?: number;
  /** Most bytes held (structural estimate unless `sizeOf`). @default unbounded */
  maxBytes?: number;
  /** Largest single entry; a larger value is not kept in L1 (counted), only in L2. @default maxBytes */
  maxEntryBytes?: number;
  /** Size of a cached value in bytes. */
  sizeOf?: (value: unknown, key: string) => number;
  /** Longest time an entry stays in L1 regardless of its TTL (per-tier TTL). @default the entry's TTL */
  ttl?: number;
  /**
   * Copy values into and out of L1, so that mutating a value passed to `set` (or returned by a read) never
   * changes what is cached. Copies follow the default serializer's rules (a copy equals what L2 returns);
   * a value they cannot represent is a `SerializationError`. Off, L1 hands out the stored reference.
   * @default false
   */
  clone?: boolean;
}

/** Cross-process stampede protection through a distributed lease lock held in L2. */
export interface StampedeOptions {
  /** Take a lease in L2 before loading, so the loader runs once per key across processes. @default false */
  distributed?: boolean;
  /** Lease length in ms; should exceed the slowest normal load. @default 10_000 */
  lease?: number;
  /** Longest a caller waits for another process's load before `onWaitTimeout`. @default 5_000 */
  wait?: number;
  /** Fallback poll interval while waiting, in case the wake-up message is lost. @default 100 */
  poll?: number;
  /** What a caller does when the wait runs out: load itself, or serve a stale value if any. @default 'load' */
  onWaitTimeout?: 'load' | 'stale-or-load';
}

/** Per-call timeouts of a loader. */
export interface LoaderTimeouts {
  /** After this many ms, serve a stale value if one exists; the load finishes in the background. */
  soft?: number;
  /** After this many ms, give up: serve a graced value if any, else throw `LoaderTimeoutError`. */
  hard?: number;
}

/** Options of a `Cache`. Durations are milliseconds. */
export interface CacheOptions {
  /** The memory tier, or `false` for none. @default { maxEntries: 10_000 } */
  l1?: L1Options | false;
  /** The remote tier (RedisStore, MemcachedStore, ShardedStore, ...). @default none */
  l2?: Store;
  /** Prefix of every key this cache writes to L2. @default 'sc:' */
  prefix?: string;
  /** How long a value is fresh. `Infinity` means no expiry. @default 300_000 (5 min) */
  ttl?: number;
  /** Spread TTLs by ±jitter·ttl so keys written together do not expire together. @default 0 */
  jitter?: number;
  /** Each read extends the TTL, up to `maxAge` after the value was produced. @default false */
  sliding?: boolean;
  /** Absolute cap on the life of a sliding entry. @default 24 h when `sliding` */
  maxAge?: number;
  /** Named TTLs selectable per call with `profile`. @default {} */
  ttlProfiles?: Record<string, number>;
  /** How long an expired value is kept as a fail-safe fallback for loader errors and timeouts. @default 0 */
  grace?: number;
  /** Minimum time between loader retries while a fail-safe value is being served. @default 1_000 */
  graceBackoff?: number;
  /** How long after expiry a value is served at once while it is refreshed in the background. @default 0 */
  staleWhileRevalidate?: number;
  /** Probabilistic early refresh (XFetch) with parameter beta (> 1 refreshes earlier). @default false */
  earlyRefresh?: { beta?: number } | false;
  /** Loader timeouts. @default none */
  timeouts?: LoaderTimeouts;
  /**
   * Encodes values for L2. @default `taggedJsonSerializer` (JSON that keeps Date, Map, Set, BigInt, NaN,
   * -0, undefined and typed arrays); `jsonSerializer` for plain JSON other services read
   */
  serializer?: Serializer;
  /** Per-operation timeout of L2 calls; a slower call counts as a failed one (a miss). @default 100 */
  l2Timeout?: number;
  /** Circuit breaker of L2 calls. @default { failures: 5, resetMs: 250 } */
  circuitBreaker?: { failures?: number; resetMs?: number };
  /** Keep every instance's L1 in sync through L2's pub/sub (`true`) or a custom bus. @default false */
  bus?: boolean | Bus;
  /** Cross-process stampede protection. @default { distributed: false } */
  stampede?: StampedeOptions;
  /** How long tag times and namespace generations read from L2 are trusted without a bus. @default 1_000 */
  syncInterval?: number;
  /** Longest key accepted, in UTF-16 units. @default 1024 */
  maxKeyLength?: number;
  /**
   * Time source for expiry and the cache's own timers (soft/hard timeouts, lease renewal); inject
   * `ManualClock` from `stratacache/testing` in tests. @default Date.now and the event loop's timers
   */
  clock?: Clock;
  /** Random source for jitter and XFetch (inject a seeded one in tests). @default Math.random */
  random?: () => number;
}

/** Options of one call; each overrides the cache's default of the same name. */
export interface SetOptions {
  ttl?: number;
  /** A name from `ttlProfiles`; mutually exclusive with `ttl`. */
  profile?: string;
  jitter?: number;
  sliding?: boolean;
  maxAge?: number;
  grace?: number;
  staleWhileRevalidate?: number;
  /** Tags for `invalidateTags`. */
  tags?: readonly string[];
  /** A version: a read asking for another version misses. */
  version?: string | number;
}

/** Options of `getOrSet` and `wrap`. */
export interface GetOrSetOptions extends SetOptions {
  earlyRefresh?: { beta?: number } | false;
  timeouts?: LoaderTimeouts;
  /** Cache a loader error for this long (rethrown without calling the loader). @default 0 (never) */
  errorTtl?: number;
}

/** Options of `get` and `has`. */
export interface GetOptions {
  /** Miss unless the stored entry has this version. */
  version?: string | number;
}

const CACHE_KEYS = [
  'l1',
  'l2',
  'prefix',
  'ttl',
  'jitter',
  'sliding',
  'maxAge',
  'ttlProfiles',
  'grace',
  'graceBackoff',
  'staleWhileRevalidate',
  'earlyRefresh',
  'timeouts',
  'serializer',
  'l2Timeout',
  'circuitBreaker',
  'bus',
  'stampede',
  'syncInterval',
  'maxKeyLength',
  'clock',
  'random',
] as const;
const L1_KEYS = ['maxEntries', 'maxBytes', 'maxEntryBytes', 'sizeOf', 'ttl', 'clone'] as const;
const STAMPEDE_KEYS = ['distributed', 'lease', 'wait', 'poll', 'onWaitTimeout'] as const;
const CALL_KEYS = [
  'ttl',
  'profile',
  'jitter',
  'sliding',
  'maxAge',
  'grace',
  'staleWhileRevalidate',
  'tags',
  'version',
  'earlyRefresh',
  'timeouts',
  'errorTtl',
] as const;

/** The defaults of every option, frozen. */
export const DEFAULT_CACHE_OPTIONS = Object.freeze({
  l1: Object.freeze({ maxEntries: 10_000 }),
  prefix: 'sc:',
  ttl: 300_000,
  jitter: 0,
  sliding: false,
  maxAge: 86_400_000,
  grace: 0,
  graceBackoff: 1_000,
  staleWhileRevalidate: 0,
  l2Timeout: 100,
  circuitBreaker: Object.freeze({ failures: 5, resetMs: 250 }),
  stampede: Object.freeze({
    distributed: false,
    lease: 10_000,
    wait: 5_000,
    poll: 100,
    onWaitTimeout: 'load' as const,
  }),
  syncInterval: 1_000,
  maxKeyLength: 1024,
  beta: 1,
});

/** Write policy after defaults and a call's overrides are merged. */
export interface WritePolicy {
  ttl: number;
  jitter: number;
  sliding: boolean;
  maxAge: number;
  grace: number;
  swr: number;
}

export interface ResolvedOptions {
  l1:
    | false
    | (Omit<L1Options, 'ttl' | 'clone'> & { maxEntries: number; ttl: number | undefined; clone: boolean });
  l2: Store | undefined;
  prefix: string;
  write: WritePolicy;
  profiles: ReadonlyMap<string, number>;
  graceBackoff: number;
  beta: number | undefined;
  timeouts: LoaderTimeouts;
  serializer: Serializer;
  l2Timeout: number;
  breaker: { failures: number; resetMs: number };
  bus: boolean | Bus;
  stampede: Required<StampedeOptions>;
  syncInterval: number;
  maxKeyLength: number;
  clock: Clock;
  random: () => number;
}

function plainObject<T>(name: string, value: T): asserts value is T & Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(`Expected \`${name}\` to be an object, got ${describe(value)}`);
  }
}

function timeouts(name: string, t: unknown): LoaderTimeouts {
  if (t === undefined) return {};
  plainObject(name, t);
  assertKnownKeys(name, t, ['soft', 'hard']);
  const out: LoaderTimeouts = {};
  if (t.soft !== undefined) out.soft = assertTtl(`${name}.soft`, t.soft);
  if (t.hard !== undefined) out.hard = assertTtl(`${name}.hard`, t.hard);
  if (out.soft !== undefined && out.hard !== undefined && out.soft >= out.hard) {
    throw new InvalidOptionError(
      `Expected \`${name}.soft\` (${out.soft}) to be smaller than \`${name}.hard\` (${out.hard})`,
    );
  }
  return out;
}

function beta(name: string, value: unknown): number | undefined {
  if (value === undefined || value === false) return undefined;
  plainObject(name, value);
  assertKnownKeys(name, value, ['beta']);
  if (value.beta === undefined) return DEFAULT_CACHE_OPTIONS.beta;
  return assertFraction(`${name}.beta`, value.beta, Number.MIN_VALUE, 100);
}

function warnOnce(code: string, message: string): void {
  const flag = `__stratacache_${code}`;
  const g = globalThis as Record<string, unknown>;
  if (g[flag]) return;
  g[flag] = true;
  process.emitWarning(message, { code });
}

/** Validates and completes the options of a `Cache` in one step. */
export function resolveOptions(options: CacheOptions): ResolvedOptions {
  plainObject('options', options);
  assertKnownKeys('options', options, CACHE_KEYS);
  const d = DEFAULT_CACHE_OPTIONS;
  let l1: ResolvedOptions['l1'];
  if (options.l1 === false) {
    l1 = false;
    if (options.l2 === undefined)
      throw new InvalidOptionError('A cache needs a tier: `l1` is false and no `l2` is set');
  } else {
    const o: L1Options = options.l1 ?? d.l1;
    plainObject('l1', o);
    assertKnownKeys('l1', o, L1_KEYS);
    l1 = {
      maxEntries: assertPositiveInt('l1.maxEntries', o.maxEntries ?? d.l1.maxEntries),
      ttl: o.ttl === undefined ? undefined : assertTtl('l1.ttl', o.ttl),
      clone: assertBoolean('l1.clone', o.clone ?? false),
    };
    if (o.maxBytes !== undefined) l1.maxBytes = assertPositiveInt('l1.maxBytes', o.maxBytes);
    if (o.maxEntryBytes !== undefined)
      l1.maxEntryBytes = assertPositiveInt('l1.maxEntryBytes', o.maxEntryBytes);
    if (o.sizeOf !== undefined) l1.sizeOf = o.sizeOf as (value: unknown, key: string) => number;
  }
  const l2 = options.l2;
  if (
    l2 !== undefined &&
    (typeof l2 !== 'object' || typeof l2.get !== 'function' || typeof l2.getMany !== 'function')
  ) {
    throw new InvalidOptionError(
      `Expected \`l2\` to be a Store (RedisStore, MemcachedStore, ...), got ${describe(l2)}`,
    );
  }
  const prefix = options.prefix ?? d.prefix;
  if (typeof prefix !== 'string')
    throw new InvalidOptionError(`Expected \`prefix\` to be a string, got ${describe(prefix)}`);
  const sliding = assertBoolean('sliding', options.sliding ?? d.sliding);
  const write: WritePolicy = {
    ttl: assertTtl('ttl', options.ttl ?? d.ttl, true),
    jitter: assertFraction('jitter', options.jitter ?? d.jitter, 0, 0.9),
    sliding,
    maxAge: assertTtl('maxAge', options.maxAge ?? d.maxAge, true),
    grace: assertNonNegativeMs('grace', options.grace ?? d.grace, true),
    swr: assertNonNegativeMs(
      'staleWhileRevalidate',
      options.staleWhileRevalidate ?? d.staleWhileRevalidate,
      true,
    ),
  };
  if (sliding && options.maxAge === undefined) {
    warnOnce(
      'STRATACACHE_SLIDING_DEFAULT_CAP',
      'stratacache: `sliding` without `maxAge` caps each entry at 24 h after it was produced; set `maxAge` explicitly',
    );
  }
  const serializer = options.serializer ?? taggedJsonSerializer;
  if (!isSerializer(serializer)) {
    throw new InvalidOptionError(
      `Expected \`serializer\` to have serialize() and deserialize(), got ${describe(serializer)}`,
    );
  }
  const bus = options.bus ?? false;
  if (typeof bus !== 'boolean' && !isBus(bus)) {
    throw new InvalidOptionError(
      `Expected \`bus\` to be a boolean or a Bus with publish(), subscribe() and close(), got ${describe(bus)}`,
    );
  }
  if (bus === true && l2?.createBus === undefined) {
    throw new InvalidOptionError('`bus: true` needs an `l2` store with pub/sub (for example RedisStore)');
  }
  const s = options.stampede ?? {};
  plainObject('stampede', s);
  assertKnownKeys('stampede', s, STAMPEDE_KEYS);
  const stampede: Required<StampedeOptions> = {
    distributed: assertBoolean('stampede.distributed', s.distributed ?? d.stampede.distributed),
    lease: assertTtl('stampede.lease', s.lease ?? d.stampede.lease),
    wait: assertTtl('stampede.wait', s.wait ?? d.stampede.wait),
    poll: assertTtl('stampede.poll', s.poll ?? d.stampede.poll),
    onWaitTimeout: s.onWaitTimeout ?? d.stampede.onWaitTimeout,
  };
  if (stampede.onWaitTimeout !== 'load' && stampede.onWaitTimeout !== 'stale-or-load') {
    throw new InvalidOptionError(
      `Expected \`stampede.onWaitTimeout\` to be 'load' or 'stale-or-load', got ${describe(stampede.onWaitTimeout)}`,
    );
  }
  if (stampede.distributed && l2?.createLock === undefined) {
    throw new InvalidOptionError(
      '`stampede.distributed` needs an `l2` store with locks (for example RedisStore)',
    );
  }
  const cb = options.circuitBreaker ?? {};
  plainObject('circuitBreaker', cb);
  assertKnownKeys('circuitBreaker', cb, ['failures', 'resetMs']);
  const clock = options.clock ?? systemClock;
  if (typeof clock?.now !== 'function')
    throw new InvalidOptionError(`Expected \`clock\` to have now(), got ${describe(clock)}`);
  if ((typeof clock.setTimeout === 'function') !== (typeof clock.clearTimeout === 'function'))
    throw new InvalidOptionError(
      `Expected \`clock\` to have both setTimeout() and clearTimeout() or neither, got ${
        typeof clock.setTimeout === 'function' ? 'only setTimeout()' : 'only clearTimeout()'
      }`,
    );
  const random = options.random ?? Math.random;
  if (typeof random !== 'function')
    throw new InvalidOptionError(`Expected \`random\` to be a function, got ${describe(random)}`);
  return {
    l1,
    l2,
    prefix,
    write,
    profiles: validateProfiles(options.ttlProfiles ?? {}),
    graceBackoff: assertTtl('graceBackoff', options.graceBackoff ?? d.graceBackoff),
    beta: beta('earlyRefresh', options.earlyRefresh),
    timeouts: timeouts('timeouts', options.timeouts),
    serializer,
    l2Timeout: assertTtl('l2Timeout', options.l2Timeout ?? d.l2Timeout),
    breaker: {
      failures: assertPositiveInt('circuitBreaker.failures', cb.failures ?? d.circuitBreaker.failures),
      resetMs: assertTtl('circuitBreaker.resetMs', cb.resetMs ?? d.circuitBreaker.resetMs),
    },
    bus,
    stampede,
    syncInterval: assertTtl('syncInterval', options.syncInterval ?? d.syncInterval),
    maxKeyLength: assertPositiveInt('maxKeyLength', options.maxKeyLength ?? d.maxKeyLength),
    clock,
    random,
  };
}

function isBus(value: unknown): value is Bus {
  if (typeof value !== 'object' || value === null) return false;
  const b = value as Record<string, unknown>;
  return (
    typeof b.publish === 'function' && typeof b.subscribe === 'function' && typeof b.close === 'function'
  );
}

/** Validates a call's `errorTtl` (0, the default, caches no error). */
export function resolveErrorTtl(value: unknown): number {
  return value === undefined ? 0 : assertNonNegativeMs('errorTtl', value);
}

/** Validates per-call options (only called when a call passes some). */
export function checkCallOptions(name: string, o: object): void {
  plainObject(name, o);
  assertKnownKeys(name, o, CALL_KEYS);
}

/** Merges a call's write options over the cache's policy. */
export function writePolicy(
  base: WritePolicy,
  profiles: ReadonlyMap<string, number>,
  o: SetOptions | undefined,
  resolveProfile: (profiles: ReadonlyMap<string, number>, name: string) => number,
): WritePolicy {
  if (o === undefined) return base;
  if (o.ttl !== undefined && o.profile !== undefined) {
    throw new InvalidOptionError('Pass either `ttl` or `profile`, not both');
  }
  const ttl =
    o.profile !== undefined
      ? resolveProfile(profiles, o.profile)
      : o.ttl !== undefined
        ? assertTtl('ttl', o.ttl, true)
        : base.ttl;
  return {
    ttl,
    jitter: o.jitter === undefined ? base.jitter : assertFraction('jitter', o.jitter, 0, 0.9),
    sliding: o.sliding === undefined ? base.sliding : assertBoolean('sliding', o.sliding),
    maxAge: o.maxAge === undefined ? base.maxAge : assertTtl('maxAge', o.maxAge, true),
    grace: o.grace === undefined ? base.grace : assertNonNegativeMs('grace', o.grace, true),
    swr:
      o.staleWhileRevalidate === undefined
        ? base.swr
        : assertNonNegativeMs('staleWhileRevalidate', o.staleWhileRevalidate, true),
  };
}

export { beta as resolveBeta, timeouts as resolveTimeouts };
