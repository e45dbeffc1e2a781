import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import { type Cache, InvalidOptionError } from 'stratacache';

/** Options of a {@link StratacacheKeyValueCache}. */
export interface StratacacheKeyValueCacheOptions {
  /**
   * TTL (ms) of entries Apollo gives none (`ttl` `undefined`, `null` or `0`).
   * @default the cache's `ttl` (Apollo's in-memory cache would keep them until evicted)
   */
  ttl?: number;
}

/**
 * An Apollo Server `KeyValueCache` (`@apollo/utils.keyvaluecache` 4) over a stratacache `Cache`, for
 * `new ApolloServer({ cache })`, automatic persisted queries and `@apollo/server-plugin-response-cache`.
 * Apollo's `ttl` is in **seconds** (see {@link StratacacheKeyValueCache.set}). Give the
 * Apollo cache its own namespace (`cache.namespace('apollo')`) to clear it without touching the rest.
 *
 * @example
 * const server = new ApolloServer({ typeDefs, resolvers, cache: new StratacacheKeyValueCache(cache) });
 */
export class StratacacheKeyValueCache<V = string> implements KeyValueCache<V> {
  readonly #cache: Cache;
  readonly #ttl: number | undefined;

  constructor(cache: Cache, options: StratacacheKeyValueCacheOptions = {}) {
    if (typeof cache?.namespace !== 'function') {
      throw new InvalidOptionError(
        `Expected a stratacache \`Cache\`, got ${cache === null ? 'null' : typeof cache}`,
      );
    }
    if (options.ttl !== undefined && (typeof options.ttl !== 'number' || !(options.ttl > 0))) {
      throw new InvalidOptionError(
        `Expected \`ttl\` to be a positive number of milliseconds or Infinity, got ${String(options.ttl)}`,
      );
    }
    this.#cache = cache;
    this.#ttl = options.ttl;
  }

  get(key: string): Promise<V | undefined> {
    return this.#cache.get<V>(key);
  }

  /**
   * Stores `value` for `options.ttl` **seconds**. As Apollo's own `InMemoryLRUCache` reads it: no `ttl`
   * (`undefined`, `null`, `0`) is no expiry, so the adapter's `ttl` option (or the cache's) applies;
   * `Infinity` never expires; a negative one is already expired, so the key is deleted. `NaN` or a
   * non-number rejects with `InvalidOptionError` (Apollo logs a failed `set` as a warning and answers the
   * request anyway), where the in-memory cache would silently keep the entry forever.
   */
  async set(key: string, value: V, options?: KeyValueCacheSetOptions): Promise<void> {
    const seconds = options?.ttl;
    if (seconds === undefined || seconds === null || seconds === 0) {
      await this.#cache.set(key, value, this.#ttl === undefined ? undefined : { ttl: this.#ttl });
      return;
    }
    if (typeof seconds !== 'number' || Number.isNaN(seconds)) {
      throw new InvalidOptionError(
        `Expected \`ttl\` to be a number of seconds, null or undefined, got ${String(seconds)} (${typeof seconds})`,
      );
    }
    if (seconds < 0) {
      await this.#cache.delete(key);
      return;
    }
    await this.#cache.set(key, value, { ttl: seconds * 1000 });
  }

  delete(key: string): Promise<boolean> {
    return this.#cache.delete(key);
  }
}
