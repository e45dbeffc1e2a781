/**
 * The part of a cache the strategies use.
 *
 * The `Cache` facade satisfies it structurally (its `delete` also broadcasts an invalidation to other
 * instances); tests and users may pass anything else with these six methods.
 */
export interface CachePort {
  get<T>(key: string): Promise<T | undefined>;
  getMany<T>(keys: readonly string[]): Promise<Array<T | undefined>>;
  /** Resolves false (or rejects) when the write did not reach every tier. */
  set<T>(key: string, value: T, options?: { ttl?: number; tags?: readonly string[] }): Promise<unknown>;
  setMany<T>(
    entries: ReadonlyArray<{ key: string; value: T; ttl?: number; tags?: readonly string[] }>,
  ): Promise<unknown>;
  delete(key: string): Promise<boolean>;
  deleteMany(keys: readonly string[]): Promise<number>;
}

/** Builds the cache key of an id: `String(id)` unless a `key` function is given. */
export function keyFunction<Id>(key: ((id: Id) => string) | undefined): (id: Id) => string {
  return key ?? ((id: Id) => String(id));
}
