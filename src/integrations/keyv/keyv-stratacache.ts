import { EventEmitter } from 'node:events';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import { type Cache, type CacheEvents, InvalidOptionError } from 'stratacache';

/** Options of a {@link KeyvStratacache}. */
export interface KeyvStratacacheOptions {
  /**
   * TTL (ms) of entries Keyv gives none (`ttl` `undefined` or `0`, which Keyv defines as "never expires").
   * @default Infinity (as Keyv defines it; set a bound to keep Redis from holding such keys forever)
   */
  ttl?: number;
  /** `disconnect()` also closes the cache (by default it only detaches this adapter). @default false */
  closeCache?: boolean;
  /**
   * Most keys remembered per namespace for `iterator()`; past it the oldest are forgotten (not deleted).
   * @default 10_000
   */
  maxIteratedKeys?: number;
}

type Scope = { cache: Cache; keys: Set<string> };

/**
 * A Keyv 5 storage adapter over a stratacache `Cache`: Keyv (and cache-manager 7, `@nestjs/cache-manager`)
 * then read and write through the cache's tiers, bus and circuit breaker.
 *
 * Keyv's namespace is `cache.namespace(name)`: a key `name:key` is stored as `key` in that namespace (a key
 * without the prefix, with `useKeyPrefix: false`, too), so the prefix is never doubled and `clear()` is the
 * namespace's **O(1)** generation bump, leaving other namespaces alone. Without a namespace, keys go to the
 * cache itself and `clear()` clears the whole cache. Give each `Keyv` its own adapter: Keyv writes its
 * namespace into the adapter, so two `Keyv`s sharing one adapter share the last namespace set.
 *
 * @example
 * const keyv = new Keyv({ store: new KeyvStratacache(cache), namespace: 'sessions' });
 */
export class KeyvStratacache extends EventEmitter implements KeyvStoreAdapter {
  /** What Keyv reads of its adapters: the dialect turns on `keyv.iterator()` (Keyv 5 lists the dialects). */
  readonly opts: { dialect: string; url: string; [option: string]: unknown };
  readonly #root: Cache;
  readonly #ttl: number;
  readonly #closeCache: boolean;
  readonly #maxKeys: number;
  readonly #scopes = new Map<string | undefined, Scope>();
  readonly #stopErrors: () => void;
  #namespace: string | undefined;
  #scope: Scope;

  constructor(cache: Cache, options: KeyvStratacacheOptions = {}) {
    super();
    if (typeof cache?.namespace !== 'function') {
      throw new InvalidOptionError(
        `Expected a stratacache \`Cache\`, got ${cache === null ? 'null' : typeof cache}`,
      );
    }
    this.#root = cache;
    this.#ttl = options.ttl ?? Number.POSITIVE_INFINITY;
    // The cache checks the upper bound on the first write; here, what Keyv's meaning of `ttl` rules out.
    if (typeof this.#ttl !== 'number' || !(this.#ttl > 0)) {
      throw new InvalidOptionError(
        `Expected \`ttl\` to be a positive number of milliseconds or Infinity, got ${String(this.#ttl)}`,
      );
    }
    this.#closeCache = options.closeCache ?? false;
    this.#maxKeys = options.maxIteratedKeys ?? 10_000;
    if (!Number.isInteger(this.#maxKeys) || this.#maxKeys < 0) {
      throw new InvalidOptionError(
        `Expected \`maxIteratedKeys\` to be a non-negative integer, got ${String(this.#maxKeys)}`,
      );
    }
    this.opts = { dialect: 'redis', url: 'stratacache://' };
    this.#scope = this.#scopeOf(undefined);
    this.#stopErrors = cache.on('error', (e: CacheEvents['error']) => {
      if (this.listenerCount('error') > 0) this.emit('error', e.error);
    });
  }

  /** Keyv's namespace (Keyv sets it); an invalid namespace name is an `InvalidOptionError`. */
  get namespace(): string | undefined {
    return this.#namespace;
  }

  set namespace(name: string | undefined) {
    this.#scope = this.#scopeOf(name);
    this.#namespace = name;
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const scope = this.#scope;
    const k = this.#route(key);
    return scope.cache.get<StoredData<Value>>(k);
  }

  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    const routed = keys.map((k) => this.#route(k));
    return this.#scope.cache.getMany<StoredData<Value>>(routed);
  }

  async has(key: string): Promise<boolean> {
    const scope = this.#scope;
    const k = this.#route(key);
    return scope.cache.has(k);
  }

  async hasMany(keys: string[]): Promise<boolean[]> {
    return Promise.all(keys.map((k) => this.has(k)));
  }

  /**
   * Stores Keyv's value (its serialized string, or the raw object without a serializer). `ttl` is Keyv's:
   * `undefined` or `0` never expires (see the `ttl` option), a negative one is already expired, so the key
   * is deleted. Resolves false when L2 did not take the write (L1 holds it).
   */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const scope = this.#scope;
    const k = this.#route(key);
    if (typeof ttl === 'number' && ttl < 0) {
      await scope.cache.delete(k);
      scope.keys.delete(k);
      return true;
    }
    const stored = await scope.cache.set(k, value, { ttl: this.#ttlOf(ttl) });
    this.#remember(scope, k);
    return stored;
  }

  async setMany(entries: Array<{ key: string; value: unknown; ttl?: number }>): Promise<void> {
    const scope = this.#scope;
    const live: Array<{ key: string; value: unknown; ttl: number }> = [];
    const expired: string[] = [];
    for (const e of entries) {
      const k = this.#route(e.key);
      if (typeof e.ttl === 'number' && e.ttl < 0) expired.push(k);
      else live.push({ key: k, value: e.value, ttl: this.#ttlOf(e.ttl) });
    }
    if (expired.length > 0) await this.#forget(scope, expired);
    await scope.cache.setMany(live);
    for (const e of live) this.#remember(scope, e.key);
  }

  async delete(key: string): Promise<boolean> {
    const scope = this.#scope;
    const k = this.#route(key);
    scope.keys.delete(k);
    return scope.cache.delete(k);
  }

  /** True if a tier held any of the keys. */
  async deleteMany(keys: string[]): Promise<boolean> {
    return (
      (await this.#forget(
        this.#scope,
        keys.map((k) => this.#route(k)),
      )) > 0
    );
  }

  /** Clears the current namespace (O(1)), or the whole cache when there is none. */
  async clear(): Promise<void> {
    this.#scope.keys.clear();
    await this.#scope.cache.clear();
  }

  /**
   * The live entries of `namespace` written through this adapter (in this process), as Keyv expects them:
   * `[prefixedKey, storedValue]`. The cache's public API cannot list keys, so entries written by other
   * processes or other adapters are not seen (see docs/integrations/keyv.md).
   */
  async *iterator<Value>(
    namespace?: string,
  ): AsyncGenerator<Array<string | Awaited<Value> | undefined>, void> {
    const scope = this.#scopeOf(namespace);
    const prefix = namespace === undefined ? '' : `${namespace}:`;
    const keys = [...scope.keys];
    for (let i = 0; i < keys.length; i += 100) {
      const batch = keys.slice(i, i + 100);
      const values = await scope.cache.getMany<Awaited<Value>>(batch);
      for (let j = 0; j < batch.length; j++) {
        const value = values[j];
        if (value === undefined) scope.keys.delete(batch[j]!);
        else yield [prefix + batch[j]!, value];
      }
    }
  }

  /** Detaches from the cache's events; closes the cache only with `closeCache: true`. */
  async disconnect(): Promise<void> {
    this.#stopErrors();
    for (const s of this.#scopes.values()) s.keys.clear();
    if (this.#closeCache) await this.#root.close();
  }

  /** The key within the current scope: Keyv's `namespace:` prefix is the scope, so it is dropped. */
  #route(key: string): string {
    const ns = this.#namespace;
    return ns !== undefined && typeof key === 'string' && key.startsWith(`${ns}:`)
      ? key.slice(ns.length + 1)
      : key;
  }

  #scopeOf(name: string | undefined): Scope {
    let scope = this.#scopes.get(name);
    if (scope === undefined) {
      scope = { cache: name === undefined ? this.#root : this.#root.namespace(name), keys: new Set() };
      this.#scopes.set(name, scope);
    }
    return scope;
  }

  #ttlOf(ttl: number | undefined): number {
    return ttl === undefined || ttl === 0 ? this.#ttl : ttl;
  }

  #remember(scope: Scope, key: string): void {
    if (this.#maxKeys === 0) return;
    scope.keys.delete(key);
    scope.keys.add(key);
    if (scope.keys.size > this.#maxKeys) scope.keys.delete(scope.keys.values().next().value!);
  }

  async #forget(scope: Scope, keys: string[]): Promise<number> {
    for (const k of keys) scope.keys.delete(k);
    return scope.cache.deleteMany(keys);
  }
}
