import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  ClosedError,
  DeserializationError,
  InvalidKeyError,
  InvalidOptionError,
  LoaderTimeoutError,
  StoreError,
  ValueTooLargeError,
} from './errors.js';
import { encodeArgs } from './internal/arg-key.js';
import { describe, isWellFormed } from './internal/asserts.js';
import { Emitter, type Payloads } from './internal/emitter.js';
import { type Entry, settledValue } from './internal/entry.js';
import { decodeEnvelope, encodeEnvelope } from './internal/envelope.js';
import { compileGlob, escapeGlob, type Glob } from './internal/glob.js';
import type { Bus, BusMessage } from './invalidation/bus.js';
import { NamespaceScope } from './invalidation/namespaces.js';
import { SyncedNumbers } from './invalidation/synced-numbers.js';
import { checkTags, TagIndex } from './invalidation/tags.js';
import type { CacheStats } from './metrics/stats.js';
import { StatsRecorder } from './metrics/stats.js';
import {
  type CacheOptions,
  checkCallOptions,
  type GetOptions,
  type GetOrSetOptions,
  type LoaderTimeouts,
  type ResolvedOptions,
  resolveBeta,
  resolveErrorTtl,
  resolveOptions,
  resolveTimeouts,
  type SetOptions,
  type WritePolicy,
  writePolicy,
} from './options.js';
import type { DistributedLock, Lease } from './stampede/distributed-lock.js';
import { shouldRefreshEarly } from './stampede/early-refresh.js';
import { SingleFlight } from './stampede/single-flight.js';
import { type EvictionReason, MemoryStore } from './stores/memory/memory-store.js';
import { RemoteTier } from './stores/remote-tier.js';
import type { StoreEntry } from './stores/store.js';
import { applyJitter } from './ttl/jitter.js';
import { resolveProfile } from './ttl/profiles.js';
import { slideExpiry } from './ttl/sliding.js';

/** What a loader receives. */
export interface LoaderContext<T> {
  /** The key being loaded (as passed by the caller). */
  readonly key: string;
  /** The previous value when a stale one exists (refreshes, fail-safe candidates). */
  readonly stale: T | undefined;
  /** Aborted when the hard timeout passes or the cache closes. */
  readonly signal: AbortSignal;
}

/**
 * Produces a value on a miss. Returning `undefined` caches nothing. TypeScript cannot infer `T` from the
 * return of a loader that takes `ctx`: type `stale` with `getOrSet<User>(...)` or by the result's type
 * (`const user: User = await cache.getOrSet(...)`).
 */
export type Loader<T> = (ctx: LoaderContext<T>) => T | Promise<T>;

/** Events of a `Cache` (`cache.on(name, listener)`); keys are the caller's keys within their namespace. */
export interface CacheEvents {
  hit: { key: string; tier: 'l1' | 'l2' };
  miss: { key: string };
  set: { key: string };
  delete: { key: string };
  evict: { key: string; reason: EvictionReason };
  /** A stale value was served. */
  stale: { key: string; reason: 'swr' | 'fail-safe' | 'soft-timeout' | 'lock-wait' };
  /** A background refresh started. */
  refresh: { key: string; reason: 'early' | 'swr' };
  /** A loader settled. */
  load: { key: string; durationMs: number; error?: unknown };
  invalidate: { kind: 'tags' | 'pattern' | 'namespace' | 'clear'; target: string };
  /** Something failed that the cache absorbed (an L2 error, a corrupt entry, a bus failure, a refresh error). */
  error: { error: Error; operation: string; key?: string };
  /** The bus reconnected after a cut; L1 was purged. */
  'bus:reset': Record<string, never>;
}

/** Options of `wrap`. */
export interface WrapOptions<A extends unknown[]> extends GetOrSetOptions {
  /**
   * Builds the cache key from the arguments.
   * @default `${name}:` and a lossless encoding of the arguments (see docs/get-or-set-and-stampede.md#wrap)
   */
  key?: (...args: A) => string;
  /** Key prefix when `key` is not given; unique per cache or namespace. @default the function's name */
  name?: string;
}

const FRESH = 0;
const STALE = 1;
const DEAD = 2;
type State = typeof FRESH | typeof STALE | typeof DEAD;
/** A live entry and the tier it came from. */
type Found = { entry: Entry; state: State; tier: 'l1' | 'l2' };
type L2Found = { entry: Entry; state: State; tier: 'l2' };
/** What an L2 read settles with: a rejected promise if admitting the entry threw. */
type L2Result = L2Found | undefined | Promise<L2Found | undefined>;
/** Gets an L2 read's result. */
type L2Waiter = (result: L2Result) => void;
/**
 * A key's L2 read record, reused by its next reads: the key (and its L2 form), whether a read is in flight,
 * its waiters (the first in a field, so a lone reader allocates no array), how many of them count a miss
 * if it finds nothing, and the callback the tier answers (see `#readL2`).
 */
type L2Read = {
  lk: string;
  version: string | undefined;
  key: string;
  inFlight: boolean;
  misses: number;
  first: L2Waiter | undefined;
  more: L2Waiter[] | undefined;
  deliver: (bytes: Uint8Array | undefined) => void;
};
/** Read records kept for keys read before; past this many they are all forgotten at once. */
const MAX_READ_RECORDS = 4096;
/** Fast-path L1 hits are timed 1 in SAMPLE_WEIGHT, each sample recorded with that weight. */
const SAMPLE_WEIGHT = 16;
const NOT_SAMPLED = -1;

interface Core {
  o: ResolvedOptions;
  l1: MemoryStore<Entry> | undefined;
  l2: RemoteTier | undefined;
  stats: StatsRecorder;
  events: Emitter<Payloads<CacheEvents>>;
  flights: SingleFlight<unknown, Load>;
  /** L2 reads in flight by key (and version). */
  reads: Map<string, L2Read>;
  tags: TagIndex;
  generations: SyncedNumbers;
  /** Pattern invalidations for L2 stores that cannot scan, checked on L2 reads. */
  patterns: Array<{ glob: Glob; at: number }>;
  cachedErrors: Map<string, { error: unknown; until: number }>;
  /** `wrap()` names per namespace and the function that holds each. */
  wrapNames: Map<string, unknown>;
  bus: Bus | undefined;
  lock: DistributedLock | undefined;
  id: string;
  background: Set<Promise<unknown>>;
  /** Keys whose background refresh failed, and when one may be tried again. */
  refreshBackoff: Map<string, number>;
  /** xorshift32 state that picks the fast-path hits whose latency is sampled (see `#sampleStart`). */
  sampleState: number;
  /** The policy of calls without options (built once). */
  defaultPolicy: CallPolicy;
  closed: boolean;
}

/** One running load of a key (the metadata of its flight). */
interface Load {
  /** Creation stamp of the value it will produce: tag invalidations after it make the value invalid. */
  readonly startedAt: number;
  /** A set, delete or clear happened since it started: its result must not be written. */
  superseded: boolean;
  /** Created only when the loader reads `ctx.signal`. */
  controller: AbortController | undefined;
  aborted: Error | undefined;
}

interface Meta {
  tags: readonly string[] | undefined;
  version: string | undefined;
}

interface CallPolicy {
  write: WritePolicy;
  meta: Meta;
  beta: number | undefined;
  timeouts: LoaderTimeouts;
  errorTtl: number;
}

const SCOPE = Symbol('stratacache.scope');
const NO_META: Meta = Object.freeze({ tags: undefined, version: undefined });
const LOCK_FAILED = Symbol('lock-failed');
const MAX_PATTERNS = 1000;
const SLOW_OP_MS = 30_000;
const MAX_BACKOFF_KEYS = 10_000;

const noop = (): void => {};

/**
 * One cache over a memory tier (L1) and an optional remote tier (L2), with stampede protection,
 * invalidation by key, tag, pattern and namespace, TTL policy and stats.
 *
 * `getOrSet` is **in-flight unique per key per process**: concurrent callers of a cold key share one
 * loader call. With `stampede: { distributed: true }` the loader runs **once per key across processes**
 * (an efficiency lease, see README). A remote-tier outage never fails a read: L2 errors become misses,
 * bounded by `l2Timeout` and a circuit breaker.
 *
 * @example
 * const cache = new Cache({ ttl: 60_000, grace: 600_000 });
 * const user = await cache.getOrSet(`user:${id}`, () => db.users.find(id), { tags: [`user:${id}`] });
 */
export class Cache {
  readonly #core: Core;
  readonly #ns: NamespaceScope | undefined;

  constructor(options: CacheOptions = {}) {
    const scope = (options as { [SCOPE]?: { core: Core; ns: NamespaceScope } })[SCOPE];
    if (scope !== undefined) {
      this.#core = scope.core;
      this.#ns = scope.ns;
      return;
    }
    this.#ns = undefined;
    const o = resolveOptions(options);
    const stats = new StatsRecorder();
    const events = new Emitter<Payloads<CacheEvents>>();
    const onError = (error: Error, operation: string, key?: string): void => {
      if (error instanceof StoreError) stats.l2Errors++;
      if (events.listening.error)
        events.emit('error', key === undefined ? { error, operation } : { error, operation, key });
    };
    const l2 =
      o.l2 === undefined
        ? undefined
        : new RemoteTier(o.l2, { timeoutMs: o.l2Timeout, breaker: o.breaker }, o.clock, onError);
    const meta = `__sc_meta:${o.prefix}`;
    const l1 =
      o.l1 === false
        ? undefined
        : new MemoryStore<Entry>({
            maxEntries: o.l1.maxEntries,
            ...(o.l1.maxBytes === undefined ? {} : { maxBytes: o.l1.maxBytes }),
            ...(o.l1.maxEntryBytes === undefined ? {} : { maxEntryBytes: o.l1.maxEntryBytes }),
            ...(o.l1.sizeOf === undefined
              ? {}
              : {
                  sizeOf: (e: Entry, k: string) =>
                    (o.l1 as { sizeOf: (v: unknown, k: string) => number }).sizeOf(e.value, k),
                }),
            clock: o.clock,
            onEvict: (key, _entry, reason) => {
              if (events.listening.evict) events.emit('evict', { key, reason });
            },
          });
    this.#core = {
      o,
      l1,
      l2,
      stats,
      events,
      flights: new SingleFlight(),
      reads: new Map(),
      tags: new TagIndex(new SyncedNumbers(l2, `${meta}tag:`, o.clock, o.syncInterval)),
      generations: new SyncedNumbers(l2, `${meta}gen:`, o.clock, o.syncInterval),
      patterns: [],
      cachedErrors: new Map(),
      wrapNames: new Map(),
      bus: o.bus === false ? undefined : o.bus === true ? o.l2!.createBus!(`__sc_bus:${o.prefix}`) : o.bus,
      lock: o.stampede.distributed ? o.l2!.createLock!(`__sc_lock:${o.prefix}`) : undefined,
      id: randomUUID(),
      background: new Set(),
      refreshBackoff: new Map(),
      // Seeded per instance (never 0, xorshift's fixed point), so caches do not all time the same calls.
      sampleState: Math.floor(Math.random() * 0xffffffff) | 1,
      defaultPolicy: { write: o.write, meta: NO_META, beta: o.beta, timeouts: o.timeouts, errorTtl: 0 },
      closed: false,
    };
    if (this.#core.bus !== undefined) this.#startBus(this.#core.bus);
  }

  // ── events ────────────────────────────────────────────────────────────────────────────────────────

  /** Adds an event listener; returns a function that removes it. Listeners never break cache calls. */
  on<E extends keyof CacheEvents>(event: E, listener: (payload: CacheEvents[E]) => void): () => void {
    return this.#core.events.on(event, listener);
  }

  off<E extends keyof CacheEvents>(event: E, listener: (payload: CacheEvents[E]) => void): void {
    this.#core.events.off(event, listener);
  }

  // ── reads ─────────────────────────────────────────────────────────────────────────────────────────

  /** The fresh value under `key`, or `undefined` (stale values are not returned by `get`). */
  get<T = unknown>(key: string, options?: GetOptions): Promise<T | undefined> {
    if (options === undefined && this.#ns === undefined && typeof key === 'string') {
      const e = this.#freshL1Hit(key);
      if (e !== undefined) return settledValue<T>(e);
      if (this.#l1Lacks(key)) return this.#fromL2<T>(key, undefined);
    }
    return this.#get(key, options);
  }

  async #get<T>(key: string, options: GetOptions | undefined): Promise<T | undefined> {
    const t0 = performance.now();
    const lk = await this.#key(key);
    const version = options === undefined ? undefined : this.#version(options);
    return this.#gotten(lk, await this.#lookup(lk, version), t0);
  }

  /** What a `get` whose lookup found `found` returns. */
  #gotten<T>(lk: string, found: Found | undefined, t0: number): T | undefined {
    this.#core.stats.getLatency.record(performance.now() - t0);
    if (found !== undefined && found.state === FRESH) {
      this.#countHit(lk, found.entry, found.tier, this.#core.o.clock.now());
      return found.entry.value as T;
    }
    this.#countMiss(lk);
    return undefined;
  }

  /** True if a fresh value is cached under `key`; does not count as a hit or miss. */
  async has(key: string, options?: GetOptions): Promise<boolean> {
    const lk = await this.#key(key);
    const found = await this.#lookup(lk, options === undefined ? undefined : this.#version(options), false);
    return found !== undefined && found.state === FRESH;
  }

  /** Fresh values for every key, in key order, `undefined` for each miss; one L2 round trip for all L1 misses. */
  async getMany<T = unknown>(keys: readonly string[], options?: GetOptions): Promise<Array<T | undefined>> {
    if (!Array.isArray(keys))
      throw new TypeError(`Expected \`keys\` to be an array of strings, got ${describe(keys)}`);
    const t0 = performance.now();
    const c = this.#core;
    const lks = await Promise.all(keys.map((k) => this.#key(k)));
    const version = options === undefined ? undefined : this.#version(options);
    const out = new Array<T | undefined>(lks.length).fill(undefined);
    const missing: number[] = [];
    const now = c.o.clock.now();
    for (let i = 0; i < lks.length; i++) {
      const e = c.l1?.get(lks[i]!);
      if (e !== undefined && (await this.#state(lks[i]!, e, now, version)) === FRESH) {
        this.#countHit(lks[i]!, e, 'l1', now);
        out[i] = e.value as T;
      } else missing.push(i);
    }
    if (c.l1 !== undefined) c.stats.l1Misses += missing.length;
    if (missing.length > 0 && c.l2 !== undefined) {
      const prefix = c.o.prefix;
      const raw = await c.l2.getMany(missing.map((i) => prefix + lks[i]!));
      for (let j = 0; j < missing.length; j++) {
        const i = missing[j]!;
        const e = await this.#accept(lks[i]!, raw[j], version);
        if (e !== undefined && e.state === FRESH) {
          this.#countHit(lks[i]!, e.entry, 'l2', now);
          out[i] = e.entry.value as T;
          missing[j] = -1;
        }
      }
    }
    for (const i of missing) {
      if (i < 0) continue;
      if (c.l2 !== undefined) c.stats.l2Misses++;
      this.#countMiss(lks[i]!);
    }
    c.stats.getLatency.record(performance.now() - t0);
    return out;
  }

  /**
   * The cached value, or the loader's (stored for the next caller). **In-flight unique per key per
   * process**; concurrent callers share one loader call and its error. Stale-while-revalidate, early
   * refresh, fail-safe (grace), soft/hard timeouts and the distributed lock apply as configured.
   */
  getOrSet<T>(key: string, loader: Loader<T>, options?: GetOrSetOptions): Promise<T> {
    // Fast path (see #freshL1Hit); a small plain function so that V8 inlines it into the caller.
    if (
      options === undefined &&
      this.#ns === undefined &&
      typeof key === 'string' &&
      typeof loader === 'function'
    ) {
      const e = this.#freshL1Hit(key);
      if (e !== undefined) {
        const beta = this.#core.o.beta;
        if (beta !== undefined)
          this.#maybeRefreshEarly(key, key, e, this.#core.o.clock.now(), beta, loader, undefined);
        return settledValue<T>(e);
      }
      if (this.#l1Lacks(key)) return this.#fromL2(key, loader) as Promise<T>;
    }
    return this.#getOrSet(key, loader, options);
  }

  /**
   * The fast path of reads without per-call options on the root cache: a fresh, untagged L1 entry, counted
   * as a hit (a key found in L1 was validated when it was written). Its latency is sampled 1 in 16, each
   * sample weighing 16, to keep it cheap; every other read is timed (the slow ones must reach p99 and max).
   * Anything else (`undefined`) takes the full path, which counts it.
   */
  #freshL1Hit(key: string): Entry | undefined {
    const c = this.#core;
    if (c.l1 === undefined) return undefined;
    const t0 = this.#sampleStart();
    const e = c.l1.get(key);
    if (e === undefined || e.tags !== undefined || c.closed) return undefined;
    const now = c.o.clock.now();
    if (now >= e.expiresAt) return undefined;
    this.#countHit(key, e, 'l1', now);
    this.#sampleEnd(t0);
    return e;
  }

  /**
   * The start time of a fast-path hit picked for timing (1 in SAMPLE_WEIGHT, at random so that no periodic
   * access pattern is always or never timed), else NOT_SAMPLED: two clock reads would cost more than the hit.
   */
  #sampleStart(): number {
    const c = this.#core;
    let x = c.sampleState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    c.sampleState = x;
    return (x & (SAMPLE_WEIGHT - 1)) === 0 ? performance.now() : NOT_SAMPLED;
  }

  #sampleEnd(t0: number): void {
    if (t0 !== NOT_SAMPLED) this.#core.stats.getLatency.record(performance.now() - t0, SAMPLE_WEIGHT);
  }

  /** True when an L2 read is all a call of `key` can use: L2 exists and L1 holds nothing (not even stale). */
  #l1Lacks(key: string): boolean {
    const c = this.#core;
    return c.l2 !== undefined && (c.l1 === undefined || c.l1.peek(key) === undefined);
  }

  /**
   * `get` (no `loader`) or `getOrSet` without options of a key L1 lacks: the L2 read, then what the full
   * path does after its lookup, with no async frame between (every read of an L2-only cache). The rest
   * runs in a reaction registered here, so the loader and listeners see the caller's async context
   * (AsyncLocalStorage, tracing spans), not that of whatever settled the read (one reply settles a
   * tick's reads of every caller).
   */
  #fromL2<T>(key: string, loader: Loader<T> | undefined): Promise<T | undefined> {
    const t0 = performance.now();
    try {
      this.#rootKey(key);
    } catch (err) {
      return Promise.reject(err);
    }
    const c = this.#core;
    if (c.l1 !== undefined) c.stats.l1Misses++;
    // Only anonymous closures here: a named one per call costs a defineProperty under esbuild's keepNames
    // (tsx), about 15 % of this path.
    return this.#fetchL2(key, undefined, true, t0).then((found) =>
      this.#finishFromL2(key, loader, found, t0),
    );
  }

  #finishFromL2<T>(
    key: string,
    loader: Loader<T> | undefined,
    found: Found | undefined,
    t0: number,
  ): T | undefined | Promise<T> {
    return loader === undefined
      ? this.#gotten<T>(key, found, t0)
      : this.#served(key, key, loader, this.#core.defaultPolicy, found, t0);
  }

  async #getOrSet<T>(key: string, loader: Loader<T>, options: GetOrSetOptions | undefined): Promise<T> {
    const t0 = performance.now();
    if (typeof key === 'object' && key !== null) {
      throw new InvalidKeyError(
        `Expected \`key\` to be a string, got ${describe(key)}; the call is getOrSet(key, loader, options), not getOrSet({ key, factory })`,
      );
    }
    const lk = this.#ns === undefined ? this.#rootKey(key) : await this.#key(key);
    if (typeof loader !== 'function') throw loaderTypeError(loader);
    const policy = this.#callPolicy(options);
    const found = await this.#lookup(lk, policy.meta.version);
    return this.#served(key, lk, loader, policy, found, t0);
  }

  /** What a `getOrSet` whose lookup found `found` returns: the hit, a stale value, or the loader's value. */
  #served<T>(
    key: string,
    lk: string,
    loader: Loader<T>,
    policy: CallPolicy,
    found: Found | undefined,
    t0: number,
  ): T | Promise<T> {
    const c = this.#core;
    const now = c.o.clock.now();
    c.stats.getLatency.record(performance.now() - t0);
    if (found !== undefined && found.state === FRESH) {
      this.#countHit(lk, found.entry, found.tier, now);
      if (policy.beta !== undefined)
        this.#maybeRefreshEarly(key, lk, found.entry, now, policy.beta, loader, policy);
      return found.entry.value as T;
    }
    const stale = found?.state === STALE ? found.entry : undefined;
    this.#countMiss(lk);
    if (stale !== undefined && now < stale.expiresAt + policy.write.swr) {
      c.stats.staleSwr++;
      this.#emitStale(lk, 'swr');
      this.#refresh(key, lk, loader, policy, stale, 'swr');
      return stale.value as T;
    }
    const cachedError = c.cachedErrors.get(lk);
    if (cachedError !== undefined) {
      if (cachedError.until > now) throw cachedError.error;
      c.cachedErrors.delete(lk);
    }
    return this.#awaitLoad(key, lk, loader, policy, stale);
  }

  /**
   * Memoizes an async function through `getOrSet`.
   *
   * @example
   * const getUser = cache.wrap((id: string) => db.users.find(id), { name: 'user', ttl: 60_000 });
   */
  wrap<A extends unknown[], T>(
    fn: (...args: A) => T | Promise<T>,
    options: WrapOptions<A> = {},
  ): (...args: A) => Promise<T> {
    if (typeof fn === 'string' && typeof options === 'function') {
      throw new TypeError(
        `Expected wrap(fn, options?), got wrap(key, fn): for one key call getOrSet(${JSON.stringify(fn)}, fn)`,
      );
    }
    if (typeof fn !== 'function')
      throw new TypeError(`Expected \`fn\` to be a function, got ${describe(fn)}`);
    const { key, name, ...callOptions } = options;
    const opts = Object.keys(callOptions).length === 0 ? undefined : callOptions;
    if (key !== undefined) return (...args: A) => this.getOrSet(key(...args), () => fn(...args), opts);
    const base = name ?? fn.name;
    if (base === '') {
      throw new InvalidOptionError(
        'wrap() of an anonymous function needs `name` or `key` to build cache keys',
      );
    }
    this.#claimWrapName(base, fn);
    return (...args: A) => {
      let argKey: string;
      try {
        argKey = encodeArgs(args);
      } catch (err) {
        return Promise.reject(err);
      }
      return this.getOrSet(`${base}:${argKey}`, () => fn(...args), opts);
    };
  }

  /** Reserves `name` for `fn` in this cache (or namespace), so two functions never share keys. */
  #claimWrapName(name: string, fn: unknown): void {
    const id = JSON.stringify([this.#ns?.id ?? null, name]);
    const owner = this.#core.wrapNames.get(id);
    if (owner !== undefined && owner !== fn) {
      throw new InvalidOptionError(
        `Expected a wrap() name not used in this cache, got \`${name}\`, already used by another function; ` +
          'pass a distinct `name` (or `key`)',
      );
    }
    this.#core.wrapNames.set(id, fn);
  }

  // ── writes ────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Stores `value` under `key` in every tier and tells other instances to drop their copy.
   * `undefined` is not a value: use `delete`, or cache `null` to remember an absence.
   *
   * Resolves true when every tier took the write; false when L2 did not (the failure is counted and
   * emitted, L1 holds the value) — callers that must not leave an older value in L2 can react.
   */
  async set<T>(key: string, value: T, options?: SetOptions | number): Promise<boolean> {
    const lk = await this.#key(key);
    if (value === undefined) {
      throw new TypeError(
        'Expected a value other than `undefined`; use delete(), or cache `null` to remember an absence',
      );
    }
    // A bare number is the ttl (`set(k, v, 60_000)`, as in cache-manager and Keyv).
    const policy = this.#callPolicy(typeof options === 'number' ? { ttl: options } : options);
    const entry = this.#entry(value, policy.write, this.#stamp(), 0, policy.meta);
    this.#supersede(lk);
    return this.#write(lk, entry, undefined);
  }

  /** Stores many entries: one L2 round trip and one bus message. Resolves as `set` does. */
  async setMany<T>(entries: ReadonlyArray<{ key: string; value: T } & SetOptions>): Promise<boolean> {
    if (!Array.isArray(entries))
      throw new TypeError(`Expected \`entries\` to be an array, got ${describe(entries)}`);
    const c = this.#core;
    const prepared: Array<{ lk: string; entry: Entry; payload: Uint8Array | undefined }> = [];
    for (const item of entries) {
      if (typeof item !== 'object' || item === null)
        throw new TypeError(`Expected an entry object, got ${describe(item)}`);
      const { key, value, ...options } = item;
      const lk = await this.#key(key);
      if (value === undefined)
        throw new TypeError(`Expected a value other than \`undefined\` for key \`${key}\``);
      const policy = this.#callPolicy(Object.keys(options).length === 0 ? undefined : options);
      const entry = this.#entry(value, policy.write, this.#stamp(), 0, policy.meta);
      prepared.push({ lk, entry, payload: this.#encode(value) });
    }
    for (const p of prepared) {
      this.#supersede(p.lk);
      this.#setL1(p.lk, p.entry);
    }
    let stored = true;
    if (c.l2 !== undefined && prepared.length > 0) {
      const now = c.o.clock.now();
      const rows: StoreEntry[] = prepared.map((p) => ({
        key: c.o.prefix + p.lk,
        value: encodeEnvelope(p.entry, p.payload!),
        ttlMs: physicalTtl(p.entry, now),
      }));
      stored = await c.l2.setMany(rows);
    }
    c.stats.sets += prepared.length;
    for (const p of prepared) if (c.events.listening.set) c.events.emit('set', { key: p.lk });
    this.#publish({ type: 'set', keys: prepared.map((p) => c.o.prefix + p.lk) });
    return stored;
  }

  /** Removes `key` from every tier and from other instances' L1; true if a tier held it. */
  async delete(key: string): Promise<boolean> {
    const c = this.#core;
    const lk = await this.#key(key);
    this.#supersede(lk);
    const inL1 = c.l1?.delete(lk) ?? false;
    const inL2 = c.l2 === undefined ? false : await c.l2.delete(c.o.prefix + lk);
    c.cachedErrors.delete(lk);
    c.stats.deletes++;
    if (c.events.listening.delete) c.events.emit('delete', { key: lk });
    this.#publish({ type: 'delete', keys: [c.o.prefix + lk] });
    return inL1 || inL2;
  }

  /** Removes many keys; the number a tier held (L2's count when there is an L2). */
  async deleteMany(keys: readonly string[]): Promise<number> {
    if (!Array.isArray(keys))
      throw new TypeError(`Expected \`keys\` to be an array of strings, got ${describe(keys)}`);
    const c = this.#core;
    const lks = await Promise.all(keys.map((k) => this.#key(k)));
    let n = 0;
    for (const lk of lks) {
      this.#supersede(lk);
      if (c.l1?.delete(lk)) n++;
      c.cachedErrors.delete(lk);
    }
    if (c.l2 !== undefined && lks.length > 0)
      n = Math.max(n, await c.l2.deleteMany(lks.map((lk) => c.o.prefix + lk)));
    c.stats.deletes += lks.length;
    this.#publish({ type: 'delete', keys: lks.map((lk) => c.o.prefix + lk) });
    return n;
  }

  // ── invalidation ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Makes every entry carrying any of `tags` a miss at once, in every tier and instance (**O(1)** per
   * tag: a timestamp checked on read). A tag-invalidated entry is never served as a stale fallback.
   */
  async invalidateTags(tags: readonly string[]): Promise<void> {
    const c = this.#core;
    checkTags(tags);
    const at = c.o.clock.now();
    await c.tags.invalidate(tags, at);
    if (c.events.listening.invalidate) c.events.emit('invalidate', { kind: 'tags', target: tags.join(',') });
    this.#publish({ type: 'tags', tags: [...tags], ts: at });
  }

  /**
   * Removes every key of this cache (or namespace) matching a glob: `*`, `?`, `[abc]`, `[^a]`, `[a-z]`,
   * and `\` to escape. L1 is filtered in place; L2 is scanned (SCAN on every master or shard) when the
   * store can scan, otherwise the pattern is remembered and checked on L2 reads. Resolves the number of
   * keys removed from the tiers that could count them.
   */
  async invalidatePattern(glob: string): Promise<number> {
    if (typeof glob !== 'string' || glob.length === 0) {
      throw new TypeError(`Expected \`glob\` to be a non-empty string, got ${describe(glob)}`);
    }
    const c = this.#core;
    const nsPrefix = this.#ns === undefined ? '' : await this.#key('x').then((k) => k.slice(0, -1));
    const local = compileGlob(escapeGlob(nsPrefix) + glob);
    let removed = 0;
    if (c.l1 !== undefined) {
      for (const lk of [...c.l1.keys()]) if (local.test(lk) && c.l1.delete(lk)) removed++;
    }
    const fullGlob = escapeGlob(c.o.prefix + nsPrefix) + glob;
    const store = c.l2?.store;
    if (c.l2 !== undefined && store?.scan !== undefined) {
      removed = Math.max(
        removed,
        await c.l2.call(
          'invalidatePattern',
          0,
          async (s) => {
            let n = 0;
            let batch: string[] = [];
            for await (const key of s.scan!(fullGlob)) {
              batch.push(key);
              if (batch.length >= 500) {
                n += await s.deleteMany(batch);
                batch = [];
              }
            }
            if (batch.length > 0) n += await s.deleteMany(batch);
            return n;
          },
          SLOW_OP_MS,
        ),
      );
    } else if (c.l2 !== undefined) {
      this.#rememberPattern(fullGlob, c.o.clock.now());
    }
    if (c.events.listening.invalidate) c.events.emit('invalidate', { kind: 'pattern', target: glob });
    this.#publish({ type: 'pattern', pattern: fullGlob });
    return removed;
  }

  /**
   * A cache scoped to `name`, sharing this cache's tiers, stats and bus. Its `clear()` is **O(1)**: it
   * bumps the namespace generation (stored in L2 when possible) instead of deleting keys.
   */
  namespace(name: string): Cache {
    return new Cache({
      [SCOPE]: { core: this.#core, ns: new NamespaceScope(name, this.#ns) },
    } as CacheOptions);
  }

  /**
   * Removes everything: on the root cache, L1 and every L2 key under the prefix (SCAN + UNLINK, never
   * FLUSHDB); on a namespace, an O(1) generation bump.
   */
  async clear(): Promise<void> {
    const c = this.#core;
    if (this.#ns !== undefined) {
      const id = this.#ns.id;
      const generation = await c.generations.increment(id);
      if (c.events.listening.invalidate) c.events.emit('invalidate', { kind: 'namespace', target: id });
      this.#publish({ type: 'namespace', namespace: id, generation });
      return;
    }
    c.l1?.clear();
    for (const load of c.flights.detachAll()) load.superseded = true;
    c.cachedErrors.clear();
    if (c.l2 !== undefined) await c.l2.call('clear', undefined, (s) => s.clear(c.o.prefix), SLOW_OP_MS);
    if (c.events.listening.invalidate) c.events.emit('invalidate', { kind: 'clear', target: c.o.prefix });
    this.#publish({ type: 'clear' });
  }

  // ── stats and lifecycle ───────────────────────────────────────────────────────────────────────────

  /** A snapshot of the counters (shared by the cache and its namespaces). */
  stats(): CacheStats {
    const c = this.#core;
    const s = c.stats;
    const lookups = s.hits + s.misses;
    return {
      hits: s.hits,
      misses: s.misses,
      hitRatio: lookups === 0 ? 0 : s.hits / lookups,
      tiers: {
        l1: { hits: s.l1Hits, misses: s.l1Misses },
        l2: { hits: s.l2Hits, misses: s.l2Misses, errors: s.l2Errors },
      },
      stale: {
        swr: s.staleSwr,
        failSafe: s.staleFailSafe,
        softTimeout: s.staleSoftTimeout,
        lockWait: s.staleLockWait,
        total: s.staleSwr + s.staleFailSafe + s.staleSoftTimeout + s.staleLockWait,
      },
      sets: s.sets,
      deletes: s.deletes,
      loads: {
        calls: s.loadCalls,
        errors: s.loadErrors,
        timeouts: s.loadTimeouts,
        coalesced: s.coalesced,
        refreshes: s.refreshes,
        lockWaits: s.lockWaits,
      },
      corrupt: s.corrupt,
      evictions: c.l1?.evictions ?? 0,
      expirations: c.l1?.expirations ?? 0,
      entries: c.l1?.size ?? 0,
      bytes: c.l1?.bytes ?? 0,
      latency: { get: s.getLatency.summary(), load: s.loadLatency.summary() },
      l2CircuitOpen: c.l2?.circuitOpen ?? false,
    };
  }

  /**
   * Waits for background work (refreshes, L2 writes), aborts loads still running, and closes the bus, the
   * lock and the L2 store (a store closes only the client it created). Calls after `close()` reject
   * with `ClosedError`. On a namespace, `close()` does nothing: close the root cache.
   */
  async close(): Promise<void> {
    const c = this.#core;
    if (this.#ns !== undefined || c.closed) return;
    c.closed = true;
    const drain = Promise.allSettled([...c.background]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drain, new Promise((r) => (timer = setTimeout(r, 5_000)))]);
    clearTimeout(timer);
    for (const load of c.flights.detachAll()) abortLoad(load, new ClosedError('cache'));
    await Promise.allSettled([c.bus?.close(), c.lock?.close(), c.l2?.store.close()]);
    c.events.removeAll();
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────────────

  #rootKey(key: string): string {
    if (typeof key !== 'string')
      throw new InvalidKeyError(`Expected a key to be a string, got ${describe(key)}`);
    if (key.length === 0) throw new InvalidKeyError('Expected a non-empty key, got "" (string)');
    if (key.length > this.#core.o.maxKeyLength) {
      throw new InvalidKeyError(
        `Expected a key of at most ${this.#core.o.maxKeyLength} characters (maxKeyLength), got ${key.length}`,
      );
    }
    if (!isWellFormed(key)) {
      throw new InvalidKeyError(
        `Expected a key of well-formed UTF-16 (no lone surrogate: Redis would store it as U+FFFD and alias it), got ${describe(key)}`,
      );
    }
    if (this.#core.closed) throw new ClosedError('cache');
    return key;
  }

  /** The L1 key of `key` (the namespace prefix included); L2 keys add the cache prefix. */
  async #key(key: string): Promise<string> {
    const lk = this.#rootKey(key);
    const ns = this.#ns;
    if (ns === undefined) return lk;
    const g = this.#core.generations;
    if (!g.fresh(ns.ids)) await g.sync(ns.ids);
    return ns.prefix(g) + lk;
  }

  #version(options: GetOptions): string | undefined {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected options to be an object, got ${describe(options)}`);
    }
    const v = options.version;
    if (v === undefined) return undefined;
    if (typeof v !== 'string' && typeof v !== 'number') {
      throw new TypeError(`Expected \`version\` to be a string or number, got ${describe(v)}`);
    }
    const version = String(v);
    if (!isWellFormed(version)) {
      throw new InvalidKeyError(
        `Expected \`version\` of well-formed UTF-16 (no lone surrogate), got ${describe(v)}`,
      );
    }
    return version;
  }

  #callPolicy(options: GetOrSetOptions | undefined): CallPolicy {
    const o = this.#core.o;
    if (options === undefined) return this.#core.defaultPolicy;
    checkCallOptions('options', options);
    const tags = options.tags === undefined ? undefined : checkTags(options.tags);
    return {
      write: writePolicy(o.write, o.profiles, options, resolveProfile),
      meta: {
        tags: tags === undefined || tags.length === 0 ? undefined : [...tags],
        version: this.#version(options),
      },
      beta: options.earlyRefresh === undefined ? o.beta : resolveBeta('earlyRefresh', options.earlyRefresh),
      timeouts: options.timeouts === undefined ? o.timeouts : resolveTimeouts('timeouts', options.timeouts),
      errorTtl: resolveErrorTtl(options.errorTtl),
    };
  }

  /** A creation stamp later than any local tag invalidation that happened before it. */
  #stamp(): number {
    const now = this.#core.o.clock.now();
    const last = this.#core.tags.lastLocalInvalidation;
    return now > last ? now : last + 0.001;
  }

  #entry(value: unknown, w: WritePolicy, createdAt: number, delta: number, meta: Meta): Entry {
    const now = this.#core.o.clock.now();
    const ttl = applyJitter(w.ttl, w.jitter, this.#core.o.random);
    const maxAgeAt = w.sliding ? createdAt + w.maxAge : Number.POSITIVE_INFINITY;
    const expiresAt = Math.min(now + ttl, maxAgeAt);
    return {
      value,
      createdAt,
      expiresAt,
      staleUntil: expiresAt + Math.max(w.grace, w.swr),
      delta,
      sliding: w.sliding ? ttl : 0,
      maxAgeAt,
      tags: meta.tags,
      version: meta.version,
      settled: undefined,
    };
  }

  /**
   * Classifies an entry; syncs its tags' times from L2 first when they may be out of date. A sync is one
   * attempt, then a verdict with the times this instance knows: when L2 cannot answer (an outage), the
   * entry is judged by the last known tag times (its own TTL and grace still bound it), never re-synced
   * in a loop.
   */
  #state(lk: string, e: Entry, now: number, version: string | undefined): State | Promise<State> {
    if (version !== undefined && e.version !== version) return DEAD;
    const tags = e.tags;
    if (tags !== undefined && this.#core.tags.needsSync(tags)) {
      return this.#core.tags.sync(tags).then(() => this.#classify(lk, e, now));
    }
    return this.#classify(lk, e, now);
  }

  /** The entry's state by its times and the tag times known now (no L2 read). */
  #classify(lk: string, e: Entry, now: number): State {
    if (e.tags !== undefined) {
      const tags = this.#core.tags;
      if (tags.invalidated(e.tags, e.createdAt)) {
        this.#core.l1?.delete(lk);
        return DEAD;
      }
    }
    if (now < e.expiresAt) return FRESH;
    return now < e.staleUntil ? STALE : DEAD;
  }

  /** L1, then L2 (decoded, validated and back-filled into L1). Without L1, the L2 read's own promise. */
  #lookup(lk: string, version: string | undefined, count = true): Promise<Found | undefined> | undefined {
    const c = this.#core;
    if (c.l1 !== undefined) return this.#lookupL1(c.l1, lk, version, count);
    return c.l2 === undefined ? undefined : this.#fetchL2(lk, version, count);
  }

  async #lookupL1(
    l1: MemoryStore<Entry>,
    lk: string,
    version: string | undefined,
    count: boolean,
  ): Promise<Found | undefined> {
    const c = this.#core;
    const now = c.o.clock.now();
    let stale: Entry | undefined;
    const e = l1.get(lk);
    if (e !== undefined) {
      const state = await this.#state(lk, e, now, version);
      if (state === FRESH) return { entry: e, state, tier: 'l1' };
      if (state === STALE) stale = e;
    }
    if (count) c.stats.l1Misses++;
    if (c.l2 === undefined)
      return stale === undefined ? undefined : { entry: stale, state: STALE, tier: 'l1' };
    const found = await this.#fetchL2(lk, version, count);
    if (found !== undefined) return found;
    return stale === undefined ? undefined : { entry: stale, state: STALE, tier: 'l1' };
  }

  /**
   * One L2 read (and decode) per key at a time, shared by concurrent callers: a cold burst costs one round
   * trip. `done` gets the result (at once if the tier answers at once, e.g. an open breaker). With `count`,
   * a miss counts once for this caller.
   */
  #readL2(lk: string, version: string | undefined, count: boolean, done: L2Waiter, startedAt?: number): void {
    const c = this.#core;
    const fk = version === undefined ? lk : `${lk}\u0000${version}`;
    let r = c.reads.get(fk);
    // A user key may contain NUL and so spell another key's versioned record name: only a record of the
    // same key is shared (with the same key, the same name implies the same version).
    if (r !== undefined && r.lk !== lk) r = undefined;
    if (r?.inFlight === true) {
      if (count) r.misses++;
      if (r.more === undefined) r.more = [done];
      else r.more.push(done);
      return;
    }
    if (r === undefined) {
      // Records stay for the key's next read (no Map insert and delete per read); an in-flight read whose
      // record is forgotten here still settles, only later callers stop joining it.
      if (c.reads.size >= MAX_READ_RECORDS) c.reads.clear();
      r = this.#readRecord(lk, version);
      c.reads.set(fk, r);
    }
    r.inFlight = true;
    r.misses = count ? 1 : 0;
    r.first = done;
    c.l2!.read(r.key, r.deliver, startedAt);
  }

  #readRecord(lk: string, version: string | undefined): L2Read {
    const r: L2Read = {
      lk,
      version,
      key: this.#core.o.prefix + lk,
      inFlight: false,
      misses: 0,
      first: undefined,
      more: undefined,
      deliver: noop,
    };
    r.deliver = (bytes) => this.#delivered(r, bytes);
    return r;
  }

  /** Hands what the tier answered for `r`'s read to its waiters; later callers read again (newer bytes). */
  #delivered(r: L2Read, bytes: Uint8Array | undefined): void {
    const { first, more, misses } = r;
    r.inFlight = false;
    r.first = undefined;
    r.more = undefined;
    let result: L2Result;
    try {
      result = this.#settleL2(misses, r.lk, bytes, r.version);
    } catch (err) {
      result = Promise.reject(err);
    }
    first!(result);
    if (more !== undefined) for (const w of more) w(result);
  }

  /** `#readL2` as a promise (`startedAt`: the caller's `performance.now()`, if it read the clock already). */
  #fetchL2(
    lk: string,
    version: string | undefined,
    count = false,
    startedAt?: number,
  ): Promise<L2Found | undefined> {
    return new Promise((resolve) => this.#readL2(lk, version, count, resolve, startedAt));
  }

  /** What an L2 read returned, decoded and admitted; a miss counts once for each of its callers. */
  #settleL2(
    misses: number,
    lk: string,
    bytes: Uint8Array | undefined,
    version: string | undefined,
  ): L2Found | undefined | Promise<L2Found | undefined> {
    const c = this.#core;
    const accepted = this.#accept(lk, bytes, version);
    if (accepted instanceof Promise) {
      return accepted.then((found) => {
        if (found === undefined) c.stats.l2Misses += misses;
        return found;
      });
    }
    if (accepted === undefined) c.stats.l2Misses += misses;
    return accepted;
  }

  /** Decodes L2 bytes into a live entry (fresh or stale) and back-fills L1; corrupt bytes are a counted miss. */
  #accept(
    lk: string,
    bytes: Uint8Array | undefined,
    version: string | undefined,
  ): L2Found | undefined | Promise<L2Found | undefined> {
    if (bytes === undefined) return undefined;
    const c = this.#core;
    let entry: Entry;
    try {
      entry = decodeEnvelope(bytes, c.o.serializer);
    } catch (err) {
      c.stats.corrupt++;
      const error = err instanceof DeserializationError ? err : new DeserializationError(String(err), err);
      if (c.events.listening.error) c.events.emit('error', { error, operation: 'decode', key: lk });
      return undefined;
    }
    const state = this.#state(lk, entry, c.o.clock.now(), version);
    return typeof state === 'number'
      ? this.#admit(lk, entry, state)
      : state.then((s) => this.#admit(lk, entry, s));
  }

  /** Back-fills L1 with a decoded L2 entry unless it is dead or a pattern invalidation covers it. */
  #admit(lk: string, entry: Entry, state: State): L2Found | undefined {
    const c = this.#core;
    if (state === DEAD) return undefined;
    if (c.patterns.length > 0) {
      const fk = c.o.prefix + lk;
      for (const p of c.patterns) if (p.at >= entry.createdAt && p.glob.test(fk)) return undefined;
    }
    this.#setL1(lk, entry);
    return { entry, state, tier: 'l2' };
  }

  #setL1(lk: string, entry: Entry): void {
    const c = this.#core;
    if (c.l1 === undefined) return;
    const now = c.o.clock.now();
    let ttl = entry.staleUntil - now;
    if (ttl <= 0) return;
    const cap = (c.o.l1 as { ttl: number | undefined }).ttl;
    if (cap !== undefined && cap < ttl) ttl = cap;
    try {
      c.l1.set(lk, entry, ttl === Number.POSITIVE_INFINITY ? undefined : Math.min(ttl, 2 ** 31 - 1));
    } catch (err) {
      if (!(err instanceof ValueTooLargeError)) throw err;
      c.l1.delete(lk);
      if (c.events.listening.error) c.events.emit('error', { error: err, operation: 'l1.set', key: lk });
    }
  }

  #countHit(lk: string, e: Entry, tier: 'l1' | 'l2', now: number): void {
    const s = this.#core.stats;
    s.hits++;
    if (tier === 'l1') s.l1Hits++;
    else s.l2Hits++;
    if (e.sliding > 0) this.#slide(lk, e, now);
    if (this.#core.events.listening.hit) this.#core.events.emit('hit', { key: lk, tier });
  }

  #countMiss(lk: string): void {
    this.#core.stats.misses++;
    if (this.#core.events.listening.miss) this.#core.events.emit('miss', { key: lk });
  }

  #emitStale(lk: string, reason: CacheEvents['stale']['reason']): void {
    if (this.#core.events.listening.stale) this.#core.events.emit('stale', { key: lk, reason });
  }

  /** Moves a sliding entry's expiry on read; L2 is rewritten once half the window has passed. */
  #slide(lk: string, e: Entry, now: number): void {
    const next = slideExpiry(now, e.sliding, e.maxAgeAt);
    if (next <= e.expiresAt) return;
    const grace = e.staleUntil - e.expiresAt;
    const l2Behind = next - e.expiresAt > e.sliding / 2;
    e.expiresAt = next;
    e.staleUntil = next + grace;
    const c = this.#core;
    if (c.l1?.peek(lk) === e) this.#setL1(lk, e);
    if (l2Behind && c.l2 !== undefined) {
      const bytes = encodeEnvelope(e, c.o.serializer.serialize(e.value));
      this.#track(c.l2.set(c.o.prefix + lk, bytes, physicalTtl(e, now)));
    }
  }

  #maybeRefreshEarly<T>(
    key: string,
    lk: string,
    e: Entry,
    now: number,
    beta: number,
    loader: Loader<T>,
    policy: CallPolicy | undefined,
  ): void {
    if (!shouldRefreshEarly(now, e.expiresAt, e.delta, beta, this.#core.o.random)) return;
    this.#refresh(key, lk, loader, policy ?? this.#callPolicy(undefined), e, 'early');
  }

  /** Starts a background load of `lk` unless one is in flight; its errors are counted, never thrown. */
  #refresh<T>(
    key: string,
    lk: string,
    loader: Loader<T>,
    policy: CallPolicy,
    current: Entry,
    reason: 'early' | 'swr',
  ): void {
    const c = this.#core;
    if (c.flights.get(lk) !== undefined || c.closed) return;
    const now = c.o.clock.now();
    const retryAt = c.refreshBackoff.get(lk);
    if (retryAt !== undefined && retryAt > now) return;
    c.stats.refreshes++;
    if (c.events.listening.refresh) c.events.emit('refresh', { key: lk, reason });
    const [flight] = c.flights.run(
      lk,
      (load) => this.#loadAndStore(key, lk, loader, policy, current, load),
      this.#newLoad(),
    );
    this.#track(
      flight.then(
        () => c.refreshBackoff.delete(lk),
        (err: unknown) => {
          // A failing source is retried at most every `graceBackoff`, not on every read of the stale value.
          if (c.refreshBackoff.size >= MAX_BACKOFF_KEYS) c.refreshBackoff.clear();
          c.refreshBackoff.set(lk, c.o.clock.now() + c.o.graceBackoff);
          if (c.events.listening.error) {
            c.events.emit('error', { error: toError(err), operation: `refresh:${reason}`, key: lk });
          }
        },
      ),
    );
  }

  /** Joins or starts the load of `lk` and applies soft/hard timeouts and fail-safe for this caller. */
  async #awaitLoad<T>(
    key: string,
    lk: string,
    loader: Loader<T>,
    policy: CallPolicy,
    stale: Entry | undefined,
  ): Promise<T> {
    const c = this.#core;
    // Joining a load that started before one of the caller's tags was invalidated would hand out the
    // pre-invalidation value: start a new load instead.
    const running = c.flights.meta(lk);
    if (
      running !== undefined &&
      policy.meta.tags !== undefined &&
      c.tags.invalidated(policy.meta.tags, running.startedAt)
    ) {
      this.#supersede(lk);
    }
    const [flight, joined] = c.flights.run(
      lk,
      (load) => this.#loadAndStore(key, lk, loader, policy, stale, load),
      this.#newLoad(),
    );
    if (joined) c.stats.coalesced++;
    else flight.catch(noop);
    const { soft, hard } = policy.timeouts;
    if (soft === undefined && hard === undefined) {
      try {
        return (await flight) as T;
      } catch (err) {
        return this.#failSafe(lk, err, stale);
      }
    }
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        for (const t of timers) clearTimeout(t);
        fn();
      };
      flight.then(
        (v) => finish(() => resolve(v as T)),
        (err: unknown) =>
          finish(() => {
            try {
              resolve(this.#failSafe(lk, err, stale));
            } catch (e) {
              reject(e);
            }
          }),
      );
      if (soft !== undefined && stale !== undefined && c.o.clock.now() < stale.staleUntil) {
        timers.push(
          setTimeout(
            () =>
              finish(() => {
                c.stats.staleSoftTimeout++;
                this.#emitStale(lk, 'soft-timeout');
                resolve(stale.value as T);
              }),
            soft,
          ),
        );
      }
      if (hard !== undefined) {
        timers.push(
          setTimeout(
            () =>
              finish(() => {
                c.stats.loadTimeouts++;
                const err = new LoaderTimeoutError(key, hard);
                this.#abortFlight(lk, err);
                try {
                  resolve(this.#failSafe(lk, err, stale));
                } catch (e) {
                  reject(e);
                }
              }),
            hard,
          ),
        );
      }
    });
  }

  /** Serves a graced stale value after a loader failure (and throttles retries), or rethrows. */
  #failSafe<T>(lk: string, err: unknown, stale: Entry | undefined): T {
    const c = this.#core;
    const now = c.o.clock.now();
    if (stale === undefined || now >= stale.staleUntil) throw err;
    if (stale.tags !== undefined && c.tags.invalidated(stale.tags, stale.createdAt)) throw err;
    c.stats.staleFailSafe++;
    this.#emitStale(lk, 'fail-safe');
    stale.expiresAt = Math.min(now + c.o.graceBackoff, stale.staleUntil);
    this.#setL1(lk, stale);
    return stale.value as T;
  }

  /** Aborts the load of `lk` (hard timeout): its result is dropped and later callers start a new one. */
  #abortFlight(lk: string, reason: Error): void {
    const load = this.#core.flights.detach(lk);
    if (load !== undefined) abortLoad(load, reason);
  }

  #newLoad(): Load {
    return { startedAt: this.#stamp(), superseded: false, controller: undefined, aborted: undefined };
  }

  /** Makes the running load of `lk` (if any) unjoinable and its result unwritten: the key just changed. */
  #supersede(lk: string): void {
    const load = this.#core.flights.detach(lk);
    if (load !== undefined) load.superseded = true;
  }

  /** Runs the loader once (under the distributed lease when configured) and writes the result. */
  async #loadAndStore<T>(
    key: string,
    lk: string,
    loader: Loader<T>,
    policy: CallPolicy,
    stale: Entry | undefined,
    load: Load,
  ): Promise<T> {
    const c = this.#core;
    let lease: Lease | undefined;
    if (c.lock !== undefined) {
      const got = await this.#leaseOrValue(lk, policy.meta.version, stale);
      if ('entry' in got) return got.entry.value as T;
      lease = got.lease;
    }
    const clockStart = c.o.clock.now();
    const t0 = performance.now();
    c.stats.loadCalls++;
    const keepLease = lease === undefined ? undefined : this.#keepLease(lease);
    let value: T;
    try {
      value = await loader({
        key,
        stale: stale?.value as T | undefined,
        get signal() {
          return signalOf(load);
        },
      });
    } catch (err) {
      c.stats.loadErrors++;
      if (c.events.listening.load)
        c.events.emit('load', { key: lk, durationMs: performance.now() - t0, error: err });
      if (policy.errorTtl > 0) cacheError(c.cachedErrors, lk, err, c.o.clock.now(), policy.errorTtl);
      if (lease !== undefined) this.#releaseLease(lease);
      throw err;
    } finally {
      clearInterval(keepLease);
    }
    const elapsed = performance.now() - t0;
    c.stats.loadLatency.record(elapsed);
    if (c.events.listening.load) c.events.emit('load', { key: lk, durationMs: elapsed });
    // δ for XFetch is measured on the cache's clock, so an injected clock drives early refresh in tests.
    const delta = c.o.clock.now() - clockStart;
    if (value === undefined || load.aborted !== undefined || load.superseded) {
      if (lease !== undefined) this.#releaseLease(lease);
      return value;
    }
    await this.#write(lk, this.#entry(value, policy.write, load.startedAt, delta, policy.meta), lease, true);
    return value;
  }

  /** Takes the distributed lease, or waits for the holder's value; falls back to loading without a lease. */
  async #leaseOrValue(
    lk: string,
    version: string | undefined,
    stale: Entry | undefined,
  ): Promise<{ lease: Lease | undefined } | { entry: Entry }> {
    const c = this.#core;
    const lock = c.lock!;
    const l2 = c.l2!;
    const fk = c.o.prefix + lk;
    const { lease: leaseMs, wait, poll, onWaitTimeout } = c.o.stampede;
    const deadline = c.o.clock.now() + wait;
    let waited = false;
    for (;;) {
      // A timed-out acquire may have been granted: wait for the value like any other waiter rather than
      // load beside a lease that may exist. A failing lock (refused, circuit open) means load without it.
      const lease = await l2.call<Lease | undefined | typeof LOCK_FAILED>(
        'lock.acquire',
        LOCK_FAILED,
        () => lock.acquire(fk, leaseMs),
        undefined,
        undefined,
      );
      if (lease === LOCK_FAILED) return { lease: undefined };
      if (lease !== undefined) {
        // The previous holder may have committed between our last read and this grant: check again.
        const committed = await this.#fetchL2(lk, version);
        if (committed === undefined || committed.state !== FRESH) return { lease };
        this.#releaseLease(lease);
        return { entry: committed.entry };
      }
      if (!waited) {
        waited = true;
        c.stats.lockWaits++;
      }
      const remaining = deadline - c.o.clock.now();
      if (remaining <= 0) break;
      await lock.wait(fk, Math.min(remaining, poll)).catch(noop);
      const found = await this.#fetchL2(lk, version);
      if (found !== undefined && found.state === FRESH) return { entry: found.entry };
    }
    if (onWaitTimeout === 'stale-or-load' && stale !== undefined) {
      c.stats.staleLockWait++;
      this.#emitStale(lk, 'lock-wait');
      return { entry: stale };
    }
    return { lease: undefined };
  }

  /**
   * Extends a held lease every half lease while the loader runs, so a load slower than the lease does not
   * let another process start the same load. Losing the lease is harmless: the commit is fenced.
   */
  #keepLease(lease: Lease): NodeJS.Timeout {
    const c = this.#core;
    const leaseMs = c.o.stampede.lease;
    const timer = setInterval(() => {
      this.#track(c.l2!.call('lock.extend', false, () => c.lock!.extend(lease, leaseMs)));
    }, leaseMs / 2);
    timer.unref();
    return timer;
  }

  #releaseLease(lease: Lease): void {
    const c = this.#core;
    this.#track(c.l2!.call('lock.release', undefined, () => c.lock!.release(lease)));
  }

  /**
   * Writes an entry to L1 and L2 (a fenced commit under a lease) and announces it on the bus. With
   * `background`, L1 is filled at once and the L2 write (then the announcement) runs behind the caller,
   * bounded by `l2Timeout` and awaited by `close()`: a slow L2 never adds to a load's latency.
   */
  async #write(lk: string, entry: Entry, lease: Lease | undefined, background = false): Promise<boolean> {
    const c = this.#core;
    const payload = this.#encode(entry.value);
    const announce = (): void => this.#publish({ type: 'set', keys: [c.o.prefix + lk] });
    if (c.l2 === undefined) {
      this.#filled(lk, entry);
      announce();
      return true;
    }
    const bytes = encodeEnvelope(entry, payload!);
    const ttl = physicalTtl(entry, c.o.clock.now());
    if (lease !== undefined) {
      if (!(await c.l2.call('lock.commit', false, () => c.lock!.commit(lease, bytes, ttl)))) return false;
      this.#filled(lk, entry);
      announce();
      return true;
    }
    if (background) {
      this.#filled(lk, entry);
      this.#track(c.l2.set(c.o.prefix + lk, bytes, ttl).then(announce));
      return true;
    }
    const stored = await c.l2.set(c.o.prefix + lk, bytes, ttl);
    this.#filled(lk, entry);
    announce();
    return stored;
  }

  #filled(lk: string, entry: Entry): void {
    const c = this.#core;
    this.#setL1(lk, entry);
    c.stats.sets++;
    if (c.events.listening.set) c.events.emit('set', { key: lk });
  }

  /**
   * The serialized value when an L2 needs bytes; without an L2 only checks that the value could be
   * serialized, so adding a remote tier later never turns accepted values into errors.
   */
  #encode(value: unknown): Uint8Array | undefined {
    const s = this.#core.o.serializer;
    if (this.#core.l2 !== undefined) return s.serialize(value);
    if (s.check !== undefined) s.check(value);
    else s.serialize(value);
    return undefined;
  }

  #rememberPattern(fullGlob: string, at: number): void {
    const patterns = this.#core.patterns;
    patterns.push({ glob: compileGlob(fullGlob), at });
    if (patterns.length > MAX_PATTERNS) patterns.splice(0, patterns.length - MAX_PATTERNS);
  }

  #publish(message: DistributiveOmit<BusMessage, 'v' | 'from' | 'ts'> & { ts?: number }): void {
    const c = this.#core;
    if (c.bus === undefined) return;
    const full = { v: 1, ts: c.o.clock.now(), ...message, from: c.id } as BusMessage;
    this.#track(
      c.bus.publish(full).catch((err: unknown) => {
        if (c.events.listening.error)
          c.events.emit('error', { error: toError(err), operation: 'bus.publish' });
      }),
    );
  }

  #startBus(bus: Bus): void {
    const c = this.#core;
    const prefix = c.o.prefix;
    const onMessage = (m: BusMessage): void => {
      if (m.from === c.id) return;
      switch (m.type) {
        case 'set':
        case 'delete':
          for (const k of m.keys) {
            if (!k.startsWith(prefix)) continue;
            const lk = k.slice(prefix.length);
            this.#supersede(lk);
            c.l1?.delete(lk);
          }
          return;
        case 'tags':
          c.tags.learn(m.tags, m.ts);
          return;
        case 'pattern': {
          const glob = compileGlob(m.pattern);
          if (c.l1 !== undefined)
            for (const lk of [...c.l1.keys()]) if (glob.test(prefix + lk)) c.l1.delete(lk);
          if (c.l2 !== undefined && c.l2.store.scan === undefined) this.#rememberPattern(m.pattern, m.ts);
          return;
        }
        case 'namespace':
          c.generations.learn(m.namespace, m.generation);
          return;
        case 'clear':
          c.l1?.clear();
          return;
      }
    };
    const onReset = (): void => {
      c.l1?.clear();
      c.generations.forget();
      if (c.events.listening['bus:reset']) c.events.emit('bus:reset', {});
    };
    this.#track(
      bus.subscribe(onMessage, onReset).then(
        () => {
          c.generations.trustForever = true;
        },
        (err: unknown) => {
          if (c.events.listening.error)
            c.events.emit('error', { error: toError(err), operation: 'bus.subscribe' });
        },
      ),
    );
  }

  /** Keeps a background promise until it settles, so `close()` can wait for it. */
  #track(p: Promise<unknown>): void {
    const bg = this.#core.background;
    bg.add(p);
    p.finally(() => bg.delete(p)).catch(noop);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function physicalTtl(e: Entry, now: number): number | undefined {
  if (e.staleUntil === Number.POSITIVE_INFINITY) return undefined;
  return Math.max(1, Math.min(Math.ceil(e.staleUntil - now), 2 ** 31 - 1));
}

function signalOf(load: Load): AbortSignal {
  if (load.controller === undefined) {
    load.controller = new AbortController();
    if (load.aborted !== undefined) load.controller.abort(load.aborted);
  }
  return load.controller.signal;
}

function abortLoad(load: Load, reason: Error): void {
  load.aborted = reason;
  load.controller?.abort(reason);
}

/** At most this many loader errors are kept by `errorTtl`; expired ones go first, then the oldest. */
export const MAX_CACHED_ERRORS = 1_000;

function cacheError(
  errors: Core['cachedErrors'],
  lk: string,
  error: unknown,
  now: number,
  ttl: number,
): void {
  errors.delete(lk);
  if (errors.size >= MAX_CACHED_ERRORS) {
    for (const [k, e] of errors) if (e.until <= now) errors.delete(k);
    for (const k of errors.keys()) {
      if (errors.size < MAX_CACHED_ERRORS) break;
      errors.delete(k);
    }
  }
  errors.set(lk, { error, until: now + ttl });
}

function loaderTypeError(loader: unknown): TypeError {
  return new TypeError(`Expected \`loader\` to be a function, got ${describe(loader)}`);
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Same as `new Cache(options)`. */
export function createCache(options: CacheOptions = {}): Cache {
  return new Cache(options);
}
