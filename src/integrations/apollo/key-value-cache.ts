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
 * Apollo's `ttl` is in **seconds**; a negative one is already expired, so the key is deleted. Give the
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

  async set(key: string, value: V, options?: KeyValueCacheSetOptions): Promise<void> {
    const seconds = options?.ttl;
    if (typeof seconds === 'number' && seconds < 0) {
      await this.#cache.delete(key);
      return;
    }
    const ttl = typeof seconds === 'number' && seconds !== 0 ? seconds * 1000 : this.#ttl;
    await this.#cache.set(key, value, ttl === undefined ? undefined : { ttl });
  }

  delete(key: string): Promise<boolean> {
    return this.#cache.delete(key);
  }
}
