/**
 * The `Cache` facade: the public methods, the key codec and the measured fast path (an L1 hit of a call
 * without options costs no call into the pipelines). Everything else is a pipeline over the shared core
 * (src/core/core.ts): the read path, the write path, the load coordinator and lease (src/stampede/), bus
 * dispatch and patterns (src/invalidation/), and the stats snapshot (src/metrics/snapshot.ts).
 *
 * Over 400 lines: the public API with its doc comments is the facade; each method body is a few lines.
 */
import { performance } from 'node:perf_hooks';
import { callPolicy, versionOf } from './core/call-policy.js';
import {
  type CallPolicy,
  type Core,
  createCore,
  emitStale,
  type Found,
  publish,
  stamp,
} from './core/core.js';
import { copied, dropDead, encodeValue, judge, newEntry, physicalTtl, setL1 } from './core/entries.js';
import type { CacheEvents, Loader } from './core/events.js';
import { accept, fetchL2, lookup } from './core/read-path.js';
import { slide, touchOnRead, write } from './core/write-path.js';
import { ClosedError, InvalidKeyError, InvalidOptionError } from './errors.js';
import { encodeArgs } from './internal/arg-key.js';
import { describe, isWellFormed } from './internal/asserts.js';
import { type Entry, settledValue } from './internal/entry.js';
import { encodeEnvelope } from './internal/envelope.js';
import { compileGlob, escapeGlob } from './internal/glob.js';
import { startBus } from './invalidation/bus-dispatch.js';
import { looksScoped, maybeScoped, NamespaceScope, scopedListener } from './invalidation/namespaces.js';
import { invalidateL2Pattern, SLOW_OP_MS } from './invalidation/patterns.js';
import { checkTags } from './invalidation/tags.js';
import { statsSnapshot } from './metrics/snapshot.js';
import type { CacheStats } from './metrics/stats.js';
import {
  type CacheOptions,
  type GetOptions,
  type GetOrSetOptions,
  resolveOptions,
  type SetOptions,
} from './options.js';
import {
  abortAll,
  awaitLoad,
  cachedError,
  maybeRefreshEarly,
  refresh,
  supersede,
  supersedeAll,
} from './stampede/load-coordinator.js';
import type { StoreEntry } from './stores/store.js';
import {
  type CacheTraceContext,
  noteHit,
  noteMiss,
  TRACE,
  type TracedOperation,
  traceContext,
  traced,
  tracedHere,
} from './tracing/channels.js';
import { DEAD, FRESH, inSwrWindow, STALE } from './ttl/freshness.js';

export type { CacheEvents, Loader, LoaderContext } from './core/events.js';
export { MAX_CACHED_ERRORS } from './stampede/load-coordinator.js';

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

/**
 * Fast-path L1 hits are timed about 1 in SAMPLE_EVERY: reading the clock twice costs more than the hit
 * (here `performance.now()` takes ~100 ns+ on a VM), so timing 1 in 16 cost a fifth of the fast path.
 */
const SAMPLE_EVERY = 256;
const SCOPE = Symbol('stratacache.scope');

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
  /** A namespace's listeners as registered on the shared emitter (scoped: see `on`), by event. */
  readonly #scoped = new Map<string, Map<unknown, unknown>>();

  constructor(options: CacheOptions = {}) {
    const scope = (options as { [SCOPE]?: { core: Core; ns: NamespaceScope } })[SCOPE];
    if (scope !== undefined) {
      this.#core = scope.core;
      this.#ns = scope.ns;
      return;
    }
    this.#ns = undefined;
    this.#core = createCore(resolveOptions(options));
    if (this.#core.bus !== undefined) startBus(this.#core, this.#core.bus);
  }

  // ── events ────────────────────────────────────────────────────────────────────────────────────────

  /** Adds an event listener; returns a function that removes it. Listeners never break cache calls. */
  on<E extends keyof CacheEvents>(event: E, listener: (payload: CacheEvents[E]) => void): () => void {
    const ns = this.#ns;
    if (ns === undefined) return this.#core.events.on(event, listener);
    const scoped = scopedListener(ns, listener);
    const id = `${event}`;
    const byListener = this.#scoped.get(id) ?? new Map<unknown, unknown>();
    this.#scoped.set(id, byListener);
    byListener.set(listener, scoped);
    const off = this.#core.events.on(event, scoped);
    return () => {
      byListener.delete(listener);
      off();
    };
  }

  off<E extends keyof CacheEvents>(event: E, listener: (payload: CacheEvents[E]) => void): void {
    const scoped = this.#scoped.get(`${event}`)?.get(listener);
    if (scoped === undefined) {
      this.#core.events.off(event, listener);
      return;
    }
    this.#scoped.get(`${event}`)?.delete(listener);
    this.#core.events.off(event, scoped as (payload: CacheEvents[E]) => void);
  }

  // ── reads ─────────────────────────────────────────────────────────────────────────────────────────

  /** The fresh value under `key`, or `undefined` (stale values are not returned by `get`). */
  get<T = unknown>(key: string, options?: GetOptions): Promise<T | undefined> {
    if (TRACE.get.hasSubscribers && tracedHere())
      return traced(TRACE.get, this.#trace('get', [key]), () => this.get<T>(key, options));
    if (options === undefined && this.#ns === undefined && typeof key === 'string' && !maybeScoped(key)) {
      const e = this.#freshL1Hit(key);
      if (e !== undefined) return this.#hit<T>(e);
      if (this.#l1Lacks(key)) return this.#fromL2<T>(key, undefined);
    }
    return this.#get(key, options);
  }

  async #get<T>(key: string, options: GetOptions | undefined): Promise<T | undefined> {
    const t0 = performance.now();
    const lk = await this.#key(key);
    const version = options === undefined ? undefined : versionOf(options);
    return this.#gotten(lk, await lookup(this.#core, lk, version), t0);
  }

  /** What a `get` whose lookup found `found` returns. */
  #gotten<T>(lk: string, found: Found | undefined, t0: number): T | undefined {
    this.#core.stats.getLatency.record(performance.now() - t0);
    if (found !== undefined && found.state === FRESH) {
      touchOnRead(this.#core, lk, found.entry, this.#core.o.clock.now());
      this.#countHit(lk, found.tier);
      return copied(this.#core, found.entry.value as T);
    }
    this.#countMiss(lk);
    return undefined;
  }

  /** True if a fresh value is cached under `key`; does not count as a hit or miss. */
  async has(key: string, options?: GetOptions): Promise<boolean> {
    const lk = await this.#key(key);
    const found = await lookup(this.#core, lk, options === undefined ? undefined : versionOf(options), false);
    return found !== undefined && found.state === FRESH;
  }

  /** Fresh values for every key, in key order, `undefined` for each miss; one L2 round trip for all L1 misses. */
  async getMany<T = unknown>(keys: readonly string[], options?: GetOptions): Promise<Array<T | undefined>> {
    if (TRACE.get.hasSubscribers && tracedHere())
      return traced(TRACE.get, this.#trace('get', keys), () => this.getMany<T>(keys, options));
    if (!Array.isArray(keys))
      throw new TypeError(`Expected \`keys\` to be an array of strings, got ${describe(keys)}`);
    const t0 = performance.now();
    const c = this.#core;
    const lks = await Promise.all(keys.map((k) => this.#key(k)));
    const version = options === undefined ? undefined : versionOf(options);
    const out = new Array<T | undefined>(lks.length).fill(undefined);
    const now = c.o.clock.now();
    const missing: number[] = [];
    for (let i = 0; i < lks.length; i++) {
      const lk = lks[i]!;
      const e = c.l1?.get(lk);
      const state = e === undefined ? DEAD : await judge(c, e, now, version);
      if (state === FRESH) {
        touchOnRead(c, lk, e!, now);
        this.#countHit(lk, 'l1');
        out[i] = copied(c, e!.value as T);
        continue;
      }
      if (e !== undefined && state === DEAD) dropDead(c, lk, e, version);
      missing.push(i);
    }
    if (c.l1 !== undefined) c.stats.l1Misses += missing.length;
    if (missing.length > 0 && c.l2 !== undefined) {
      const prefix = c.o.prefix;
      const raw = await c.l2.getMany(missing.map((i) => prefix + lks[i]!));
      for (let j = 0; j < missing.length; j++) {
        const i = missing[j]!;
        const e = await accept(c, lks[i]!, raw[j], version);
        if (e !== undefined && e.state === FRESH) {
          touchOnRead(c, lks[i]!, e.entry, now);
          this.#countHit(lks[i]!, 'l2');
          out[i] = copied(c, e.entry.value as T);
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
    if (TRACE.getOrSet.hasSubscribers && tracedHere()) {
      const ctx = this.#trace('getOrSet', [key], options?.ttl);
      return traced(TRACE.getOrSet, ctx, () => this.getOrSet(key, loader, options));
    }
    // Fast path (see #freshL1Hit); a small plain function so that V8 inlines it into the caller.
    if (
      options === undefined &&
      this.#ns === undefined &&
      typeof key === 'string' &&
      typeof loader === 'function' &&
      !maybeScoped(key)
    ) {
      const e = this.#freshL1Hit(key);
      if (e !== undefined) {
        const c = this.#core;
        const beta = c.o.beta;
        if (beta !== undefined)
          maybeRefreshEarly(c, key, key, e, c.o.clock.now(), beta, loader, c.defaultPolicy);
        return this.#hit<T>(e);
      }
      if (this.#l1Lacks(key)) return this.#fromL2(key, loader) as Promise<T>;
    }
    return this.#getOrSet(key, loader, options);
  }

  /**
   * The fast path of reads without per-call options on the root cache: a fresh, untagged L1 entry, counted
   * as a hit (a key found in L1 was validated when it was written). Its latency is sampled about 1 in
   * SAMPLE_EVERY calls, each sample weighing the fast hits it stands for, to keep it cheap; every other
   * read is timed (the slow ones must reach p99 and max).
   * Anything else (`undefined`) takes the full path, which counts it.
   */
  #freshL1Hit(key: string): Entry | undefined {
    const c = this.#core;
    return --c.sampleCountdown === 0 ? this.#timedL1Hit(c, key) : this.#l1Hit(c, key);
  }

  /** The untimed lookup of {@link #freshL1Hit}, kept small so that V8 inlines the whole fast path. */
  #l1Hit(c: Core, key: string): Entry | undefined {
    const l1 = c.l1;
    if (l1 === undefined) return undefined;
    const e = l1.get(key);
    const now = c.o.clock.now();
    if (e === undefined || e.tags !== undefined || c.closed || now >= e.expiresAt) return undefined;
    if (e.sliding > 0) slide(c, key, e, now);
    this.#countHit(key, 'l1');
    c.fastHits++;
    return e;
  }

  /** A sampled fast-path call: {@link #l1Hit} timed. A call that is not a fast hit (the full path times it) leaves the hits since the last sample to the next one. */
  #timedL1Hit(c: Core, key: string): Entry | undefined {
    const t0 = performance.now();
    const e = this.#l1Hit(c, key);
    if (e !== undefined) {
      c.stats.getLatency.record(performance.now() - t0, c.fastHits);
      c.fastHits = 0;
    }
    this.#drawSampleGap();
    return e;
  }

  /** A fast-path hit's value: the entry's shared settled promise, or a promise of a copy (`l1.clone`). */
  #hit<T>(e: Entry): Promise<T> {
    return this.#core.clone ? Promise.resolve(copied(this.#core, e.value as T)) : settledValue<T>(e);
  }

  /**
   * Draws the number of fast-path calls until the next timed one at random from 1..2·SAMPLE_EVERY−1
   * (mean SAMPLE_EVERY), so that no periodic access pattern is always or never timed.
   */
  #drawSampleGap(): void {
    const c = this.#core;
    let x = c.sampleState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    c.sampleState = x;
    c.sampleCountdown = 1 + ((x >>> 0) % (2 * SAMPLE_EVERY - 1));
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
    return fetchL2(c, key, undefined, true, t0).then((found) => this.#finishFromL2(key, loader, found, t0));
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
    const policy = callPolicy(this.#core, options);
    const found = await lookup(this.#core, lk, policy.meta.version);
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
      touchOnRead(c, lk, found.entry, now);
      this.#countHit(lk, found.tier);
      if (policy.beta !== undefined)
        maybeRefreshEarly(c, key, lk, found.entry, now, policy.beta, loader, policy);
      return copied(c, found.entry.value as T);
    }
    const stale = found?.state === STALE ? found.entry : undefined;
    this.#countMiss(lk);
    if (stale !== undefined && inSwrWindow(stale, now, policy.write.swr)) {
      c.stats.staleSwr++;
      emitStale(c, lk, 'swr');
      refresh(c, key, lk, loader, policy, stale, 'swr');
      return copied(c, stale.value as T);
    }
    const failed = cachedError(c, lk, now);
    if (failed !== undefined) throw failed.error;
    const loaded = awaitLoad(c, key, lk, loader, policy, stale);
    // Each caller of a shared load gets its own copy (the cached entry holds another).
    return c.clone ? loaded.then((v) => copied(c, v)) : loaded;
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
    if (TRACE.set.hasSubscribers && tracedHere()) {
      const ctx = this.#trace('set', [key], typeof options === 'number' ? options : options?.ttl);
      return traced(TRACE.set, ctx, () => this.set(key, value, options));
    }
    const c = this.#core;
    // Copied (with `l1.clone`) before the first await, so a change the caller makes right after the call
    // never reaches the cache.
    const own = copied(c, value);
    const lk = await this.#key(key);
    if (value === undefined) {
      throw new TypeError(
        'Expected a value other than `undefined`; use delete(), or cache `null` to remember an absence',
      );
    }
    // A bare number is the ttl (`set(k, v, 60_000)`, as in cache-manager and Keyv).
    const policy = callPolicy(c, typeof options === 'number' ? { ttl: options } : options);
    const entry = newEntry(c, own, policy.write, stamp(c), 0, policy.meta);
    supersede(c, lk);
    return write(c, lk, entry, undefined);
  }

  /** Stores many entries: one L2 round trip and one bus message. Resolves as `set` does. */
  async setMany<T>(entries: ReadonlyArray<{ key: string; value: T } & SetOptions>): Promise<boolean> {
    if (TRACE.set.hasSubscribers && tracedHere() && Array.isArray(entries)) {
      const ctx = this.#trace(
        'set',
        entries.map((e) => String(e?.key)),
      );
      return traced(TRACE.set, ctx, () => this.setMany(entries));
    }
    if (!Array.isArray(entries))
      throw new TypeError(`Expected \`entries\` to be an array, got ${describe(entries)}`);
    const c = this.#core;
    // With `l1.clone`, every value is copied before the first await (as in `set`).
    const own = c.clone ? entries.map((e) => copied(c, (e as { value?: unknown } | null)?.value)) : undefined;
    const prepared: Array<{ lk: string; entry: Entry; payload: Uint8Array | undefined }> = [];
    for (const [i, item] of entries.entries()) {
      if (typeof item !== 'object' || item === null)
        throw new TypeError(`Expected an entry object, got ${describe(item)}`);
      const { key, value, ...options } = item;
      const lk = await this.#key(key);
      if (value === undefined)
        throw new TypeError(`Expected a value other than \`undefined\` for key \`${key}\``);
      const policy = callPolicy(c, Object.keys(options).length === 0 ? undefined : options);
      const entry = newEntry(c, own === undefined ? value : own[i], policy.write, stamp(c), 0, policy.meta);
      prepared.push({ lk, entry, payload: encodeValue(c, value) });
    }
    for (const p of prepared) {
      supersede(c, p.lk);
      setL1(c, p.lk, p.entry);
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
    publish(c, { type: 'set', keys: prepared.map((p) => c.o.prefix + p.lk) });
    return stored;
  }

  /** Removes `key` from every tier and from other instances' L1; true if a tier held it. */
  async delete(key: string): Promise<boolean> {
    if (TRACE.delete.hasSubscribers && tracedHere())
      return traced(TRACE.delete, this.#trace('delete', [key]), () => this.delete(key));
    const c = this.#core;
    const lk = await this.#key(key);
    supersede(c, lk);
    const inL1 = c.l1?.delete(lk) ?? false;
    const inL2 = c.l2 === undefined ? false : await c.l2.delete(c.o.prefix + lk);
    c.cachedErrors.delete(lk);
    c.stats.deletes++;
    if (c.events.listening.delete) c.events.emit('delete', { key: lk });
    publish(c, { type: 'delete', keys: [c.o.prefix + lk] });
    return inL1 || inL2;
  }

  /** Removes many keys; the number a tier held (L2's count when there is an L2). */
  async deleteMany(keys: readonly string[]): Promise<number> {
    if (TRACE.delete.hasSubscribers && tracedHere())
      return traced(TRACE.delete, this.#trace('delete', keys), () => this.deleteMany(keys));
    if (!Array.isArray(keys))
      throw new TypeError(`Expected \`keys\` to be an array of strings, got ${describe(keys)}`);
    const c = this.#core;
    const lks = await Promise.all(keys.map((k) => this.#key(k)));
    let n = 0;
    for (const lk of lks) {
      supersede(c, lk);
      if (c.l1?.delete(lk)) n++;
      c.cachedErrors.delete(lk);
    }
    if (c.l2 !== undefined && lks.length > 0)
      n = Math.max(n, await c.l2.deleteMany(lks.map((lk) => c.o.prefix + lk)));
    c.stats.deletes += lks.length;
    publish(c, { type: 'delete', keys: lks.map((lk) => c.o.prefix + lk) });
    return n;
  }

  // ── invalidation ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Makes every entry carrying any of `tags` a miss at once, in every tier and instance (**O(1)** per
   * tag: a timestamp checked on read). A tag-invalidated entry is never served as a stale fallback.
   */
  async invalidateTags(tags: readonly string[]): Promise<void> {
    if (TRACE.invalidate.hasSubscribers && tracedHere()) {
      const ctx = this.#trace('invalidate', [], undefined, 'tags', tags);
      return traced(TRACE.invalidate, ctx, () => this.invalidateTags(tags));
    }
    const c = this.#core;
    checkTags(tags);
    const at = await c.tags.invalidate(tags, c.o.clock.now());
    if (c.events.listening.invalidate) c.events.emit('invalidate', { kind: 'tags', target: tags.join(',') });
    publish(c, { type: 'tags', tags: [...tags], ts: at });
  }

  /**
   * Removes every key of this cache (or namespace) matching a glob: `*`, `?`, `[abc]`, `[^a]`, `[a-z]`,
   * and `\` to escape. L1 is filtered in place; L2 is scanned (SCAN on every master or shard) when the
   * store can scan, otherwise the pattern is remembered and checked on L2 reads. Resolves the number of
   * keys removed from the tiers that could count them.
   */
  async invalidatePattern(glob: string): Promise<number> {
    if (TRACE.invalidate.hasSubscribers && tracedHere()) {
      const ctx = this.#trace('invalidate', [], undefined, 'pattern', [glob]);
      return traced(TRACE.invalidate, ctx, () => this.invalidatePattern(glob));
    }
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
    removed = Math.max(removed, await invalidateL2Pattern(c, fullGlob));
    if (c.events.listening.invalidate) c.events.emit('invalidate', { kind: 'pattern', target: glob });
    publish(c, { type: 'pattern', pattern: fullGlob });
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
    if (TRACE.invalidate.hasSubscribers && tracedHere()) {
      const kind = this.#ns === undefined ? 'clear' : 'namespace';
      return traced(TRACE.invalidate, this.#trace('invalidate', [], undefined, kind), () => this.clear());
    }
    const c = this.#core;
    if (this.#ns !== undefined) {
      const id = this.#ns.id;
      const generation = await c.generations.increment(id);
      if (c.events.listening.invalidate) c.events.emit('invalidate', { kind: 'namespace', target: id });
      publish(c, { type: 'namespace', namespace: id, generation });
      return;
    }
    c.l1?.clear();
    supersedeAll(c);
    c.cachedErrors.clear();
    if (c.l2 !== undefined) await c.l2.call('clear', undefined, (s) => s.clear(c.o.prefix), SLOW_OP_MS);
    if (c.events.listening.invalidate) c.events.emit('invalidate', { kind: 'clear', target: c.o.prefix });
    publish(c, { type: 'clear' });
  }

  // ── stats and lifecycle ───────────────────────────────────────────────────────────────────────────

  /** A snapshot of the counters (shared by the cache and its namespaces). */
  stats(): CacheStats {
    const c = this.#core;
    return statsSnapshot(c.stats, { l1: c.l1, l2: c.l2 });
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
    abortAll(c, new ClosedError('cache'));
    await Promise.allSettled([c.bus?.close(), c.lock?.close(), c.l2?.store.close()]);
    c.events.removeAll();
  }

  // ── key codec and counting ────────────────────────────────────────────────────────────────────────

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
    if (maybeScoped(key) && looksScoped(key)) {
      throw new InvalidKeyError(
        `Expected a key that does not start like a namespace's key (<name>@<digits>:), got ${describe(key)}: that shape is reserved for cache.namespace(name) keys`,
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

  /** Counts and announces a hit; knows nothing of what serving it did (sliding is the read path's). */
  #countHit(lk: string, tier: 'l1' | 'l2'): void {
    const c = this.#core;
    const s = c.stats;
    s.hits++;
    if (tier === 'l1') s.l1Hits++;
    else s.l2Hits++;
    if (c.events.listening.hit) c.events.emit('hit', { key: lk, tier });
    noteHit(tier);
  }

  #countMiss(lk: string): void {
    this.#core.stats.misses++;
    if (this.#core.events.listening.miss) this.#core.events.emit('miss', { key: lk });
    noteMiss();
  }

  /** The trace context of a call on this cache (see src/tracing/channels.ts). */
  #trace(
    op: TracedOperation,
    keys: readonly string[],
    ttl?: number,
    kind?: CacheTraceContext['kind'],
    targets?: readonly string[],
  ): CacheTraceContext {
    return traceContext(op, Array.isArray(keys) ? keys : [], this.#ns?.id, { ttl, kind, targets });
  }
}

function loaderTypeError(loader: unknown): TypeError {
  return new TypeError(`Expected \`loader\` to be a function, got ${describe(loader)}`);
}

/** Same as `new Cache(options)`. */
export function createCache(options: CacheOptions = {}): Cache {
  return new Cache(options);
}
