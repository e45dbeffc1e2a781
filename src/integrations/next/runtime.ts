import { Cache, type Clock, InvalidOptionError, type L1Options, type Store } from 'stratacache';
import { RedisClusterStore, RedisStore } from 'stratacache/redis';
import { TagManifest } from './tag-manifest.js';

/** Where the shared tier lives: a Redis URL, Cluster seed nodes, any `Store`, or `false` for none. */
export type NextRedisOption =
  | string
  | { url: string }
  | { rootNodes: ReadonlyArray<{ url: string }> }
  | Store
  | false;

/** Options of the cache behind the Next.js handlers. Durations are milliseconds. */
export interface NextCacheOptions {
  /**
   * The shared tier. A string is a `redis://` URL, or several comma-separated ones for a Cluster's seed nodes.
   * `false` keeps everything per instance (L1 only).
   * @default process.env.STRATACACHE_REDIS_URL ?? process.env.REDIS_URL, else false
   */
  redis?: NextRedisOption;
  /** Prefix of every key and channel in Redis; instances that share a cache share it. @default 'next:' */
  prefix?: string;
  /** The per-instance memory tier. @default { maxEntries: 2_000, maxBytes: 256 MiB } */
  l1?: L1Options;
  /** Longest wait for one Redis call before it counts as a miss (the latency bound during an outage). @default 100 */
  l2Timeout?: number;
  /**
   * Longest life of an entry in Redis, also of entries Next gives no expiry (`Infinity`); at most 20 days
   * (tag records outlive it by a day and the core's TTLs stop at 2^31-1 ms).
   * @default 14 days
   */
  maxTtl?: number;
  /**
   * How long a tag's revalidation times read from Redis are trusted (bus messages still drop them at once).
   * `0` reads them on every request, so a revalidation on one instance counts on the very next request of
   * any other; a positive value saves that round trip per request at the price of a window (a bus message in
   * flight) in which another instance may serve the old entry.
   * @default process.env.STRATACACHE_TAG_SYNC_INTERVAL, else 0
   */
  tagSyncInterval?: number;
  /** Time source. @default Date.now */
  clock?: Clock;
}

/** The per-process state both handler kinds share: one `Cache` for entries, one tag manifest. */
export interface NextCache {
  readonly cache: Cache;
  /**
   * The same entries read from Redis only (no L1), or undefined without Redis: when the L1 copy of an entry
   * is older than a tag revalidation, another instance may already have stored a fresh one there.
   */
  readonly shared: Cache | undefined;
  readonly tags: TagManifest;
  /** `maxTtl`, resolved. */
  readonly maxTtl: number;
  readonly clock: Clock;
  /** Closes both caches and the tag bus (tests; a Next server never closes its handlers). */
  close(): Promise<void>;
}

const DAY = 86_400_000;
const KEYS = ['redis', 'prefix', 'l1', 'l2Timeout', 'maxTtl', 'tagSyncInterval', 'clock'];

function describe(value: unknown): string {
  return `\`${String(typeof value === 'string' ? JSON.stringify(value) : value)}\` (${value === null ? 'null' : typeof value})`;
}

function positiveMs(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(
      `Expected \`${name}\` to be a positive number of milliseconds, got ${describe(value)}`,
    );
  }
  return value;
}

function nonNegativeMs(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionError(
      `Expected \`${name}\` to be a non-negative number of milliseconds, got ${describe(value)}`,
    );
  }
  return value;
}

function isStore(x: object): x is Store {
  return typeof (x as Store).get === 'function' && typeof (x as Store).getMany === 'function';
}

/** The store `redis` names, and whether this module created it. */
function storeOf(redis: NextRedisOption, prefix: string): Store | undefined {
  if (redis === false) return undefined;
  if (typeof redis === 'string') {
    const urls = redis
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u.length > 0);
    if (urls.length === 0)
      throw new InvalidOptionError(`Expected \`redis\` to be a redis:// URL, got ${describe(redis)}`);
    return urls.length === 1
      ? new RedisStore({ url: urls[0]! }, { prefix })
      : new RedisClusterStore({ rootNodes: urls.map((url) => ({ url })) }, { prefix });
  }
  if (typeof redis !== 'object' || redis === null) {
    throw new InvalidOptionError(
      `Expected \`redis\` to be a URL, { url }, { rootNodes }, a Store or false, got ${describe(redis)}`,
    );
  }
  if (isStore(redis)) return redis;
  if ('rootNodes' in redis) return new RedisClusterStore({ rootNodes: redis.rootNodes }, { prefix });
  if ('url' in redis) return new RedisStore({ url: redis.url }, { prefix });
  throw new InvalidOptionError(
    `Expected \`redis\` to be a URL, { url }, { rootNodes }, a Store or false, got an object`,
  );
}

function defaultRedis(): NextRedisOption {
  const url = process.env.STRATACACHE_REDIS_URL ?? process.env.REDIS_URL;
  return url === undefined || url === '' ? false : url;
}

/** Builds a `NextCache` (validating the options once). */
export function createNextCache(options: NextCacheOptions = {}): NextCache {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(`Expected the options to be an object, got ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!KEYS.includes(k))
      throw new InvalidOptionError(`Unknown option \`${k}\`; expected one of ${KEYS.join(', ')}`);
  }
  const prefix = options.prefix ?? 'next:';
  if (typeof prefix !== 'string')
    throw new InvalidOptionError(`Expected \`prefix\` to be a string, got ${describe(prefix)}`);
  const maxTtl = positiveMs('maxTtl', options.maxTtl, 14 * DAY);
  if (maxTtl > 20 * DAY) {
    throw new InvalidOptionError(
      `Expected \`maxTtl\` to be at most 20 days (${20 * DAY} ms), got ${describe(maxTtl)}`,
    );
  }
  const envSync = process.env.STRATACACHE_TAG_SYNC_INTERVAL;
  const syncInterval = nonNegativeMs(
    'tagSyncInterval',
    options.tagSyncInterval ?? (envSync === undefined || envSync === '' ? undefined : Number(envSync)),
    0,
  );
  const l2Timeout = positiveMs('l2Timeout', options.l2Timeout, 100);
  const clock = options.clock ?? { now: Date.now };
  const store = storeOf(options.redis ?? defaultRedis(), prefix);
  const cache = new Cache({
    l1: options.l1 ?? { maxEntries: 2_000, maxBytes: 256 * 1024 * 1024 },
    ...(store === undefined ? {} : { l2: store, bus: store.createBus !== undefined }),
    prefix: 'e:',
    ttl: maxTtl,
    l2Timeout,
    clock,
  });
  const shared =
    store === undefined
      ? undefined
      : new Cache({ l1: false, l2: store, prefix: 'e:', ttl: maxTtl, l2Timeout, clock });
  // Tag records never sit in an L1: the manifest's memo is their only per-process copy (see TagManifest).
  const tagCache =
    store === undefined
      ? new Cache({ l1: { maxEntries: 100_000 }, prefix: 't:', ttl: maxTtl + DAY, clock })
      : new Cache({ l1: false, l2: store, prefix: 't:', ttl: maxTtl + DAY, l2Timeout, clock });
  const tags = new TagManifest(tagCache, store?.createBus?.('next-tags'), {
    syncInterval,
    recordTtl: maxTtl + DAY,
    maxMemo: 10_000,
    clock,
  });
  return {
    cache,
    shared,
    tags,
    maxTtl,
    clock,
    async close() {
      await tags.close();
      await Promise.all([tagCache.close(), shared?.close()]);
      await cache.close();
    },
  };
}

/** True for a `NextCache` (handler factories take one instead of options, e.g. to run two "instances" in a test). */
export function isNextCache(x: unknown): x is NextCache {
  return typeof x === 'object' && x !== null && (x as NextCache).cache instanceof Cache && 'tags' in x;
}

const REGISTRY = Symbol.for('stratacache.next.caches');

/**
 * The process's `NextCache` for `options.prefix`, created on first use: Next makes an incremental handler
 * per request and may load handler modules more than once (ESM and CJS copies, several kinds), and all of
 * them must share one L1, one Redis connection pool and one tag memo. Later calls with the same prefix get
 * the first instance (their other options are ignored).
 */
export function sharedNextCache(options: NextCacheOptions = {}): NextCache {
  const g = globalThis as { [REGISTRY]?: Map<string, NextCache> };
  const registry = g[REGISTRY] ?? new Map<string, NextCache>();
  g[REGISTRY] = registry;
  const name = options.prefix ?? 'next:';
  let nc = registry.get(name);
  if (nc === undefined) {
    nc = createNextCache(options);
    registry.set(name, nc);
  }
  return nc;
}
