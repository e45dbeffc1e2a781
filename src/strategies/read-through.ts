import { assertKnownKeys, assertNonNegativeMs, assertPositiveInt, assertTtl } from '../internal/asserts.js';
import { type CachePort, keyFunction } from './cache-port.js';

/** Options of {@link readThrough}. */
export interface ReadThroughOptions<T, Id> {
  /** Loads one id from the source; `undefined` means "not found" (not cached). */
  load: (id: Id) => Promise<T | undefined>;
  /**
   * Loads many ids with one source query. Returns values aligned with `ids` (`undefined` for not found)
   * or a `Map` from id to value. Without it, the misses of a batch are loaded with concurrent `load`s.
   */
  loadMany?: (ids: Id[]) => Promise<ReadonlyArray<T | undefined> | ReadonlyMap<Id, T>>;
  /** The cache key of an id. @default String(id) */
  key?: (id: Id) => string;
  /** TTL in ms of loaded values; the cache's default when omitted. */
  ttl?: number;
  /** Tags stored with every loaded value. */
  tags?: readonly string[];
  /**
   * How long a batch collects calls before it is sent, in ms. With `0`, a batch holds every call made
   * in the same turn of the event loop (including the promise callbacks of that turn).
   * @default 0
   */
  batchWindowMs?: number;
  /** The most ids one cache `getMany` / source `loadMany` call carries; larger batches are split. @default 100 */
  maxBatchSize?: number;
}

/** What {@link readThrough} returns. */
export interface ReadThrough<T, Id> {
  /** The value of `id`: from the cache, else from the source (then cached). */
  get(id: Id): Promise<T | undefined>;
  /** The values of `ids` in order, with one cache round trip and one source query for the misses. */
  getMany(ids: readonly Id[]): Promise<Array<T | undefined>>;
}

const KNOWN = ['load', 'loadMany', 'key', 'ttl', 'tags', 'batchWindowMs', 'maxBatchSize'] as const;

interface Pending<T, Id> {
  id: Id;
  resolve: (value: T | undefined) => void;
  reject: (err: unknown) => void;
}

/**
 * Read-through over a cache and a source, with DataLoader-like batching.
 *
 * Calls to `get`/`getMany` made within one batch window (by default: the same event-loop turn) are
 * collected; the batch asks the cache for all their keys with one `getMany`, then the source for all the
 * misses with one `loadMany`, and writes the loaded values back with one `setMany`. Loads are
 * **in-flight unique per key per reader**: a call for a key whose load is already running joins it.
 * A cache failure never fails a read (the keys count as misses); a source failure rejects the callers
 * of the ids it was loading.
 *
 * @example
 * const users = readThrough(cache, {
 *   load: (id: number) => db.user(id),
 *   loadMany: (ids: number[]) => db.users(ids),
 *   key: (id) => `user:${id}`,
 *   ttl: 60_000,
 * });
 * const [a, b] = await Promise.all([users.get(1), users.get(2)]); // one cache call, one query
 */
export function readThrough<T, Id = string>(
  cache: CachePort,
  options: ReadThroughOptions<T, Id>,
): ReadThrough<T, Id> {
  assertKnownKeys('readThrough', options, KNOWN);
  if (typeof options.load !== 'function') {
    throw new TypeError('Expected `load` to be a function');
  }
  const ttl = options.ttl === undefined ? undefined : assertTtl('ttl', options.ttl);
  const windowMs = assertNonNegativeMs('batchWindowMs', options.batchWindowMs ?? 0);
  const maxBatch = assertPositiveInt('maxBatchSize', options.maxBatchSize ?? 100);
  const toKey = keyFunction(options.key);
  const { load, loadMany, tags } = options;

  const inFlight = new Map<string, Promise<T | undefined>>();
  let batch = new Map<string, Pending<T, Id>>();
  let scheduled = false;

  const dispatch = (): void => {
    scheduled = false;
    const current = batch;
    batch = new Map();
    const items = [...current];
    for (let i = 0; i < items.length; i += maxBatch) {
      const chunk = items.slice(i, i + maxBatch);
      runChunk(chunk).catch((err: unknown) => {
        for (const [key, pending] of chunk) {
          pending.reject(err);
          inFlight.delete(key);
        }
      });
    }
  };

  const runChunk = async (items: Array<[string, Pending<T, Id>]>): Promise<void> => {
    const keys = items.map(([key]) => key);
    let cached: Array<T | undefined>;
    try {
      cached = await cache.getMany<T>(keys);
    } catch {
      cached = keys.map(() => undefined);
    }
    const missIdx: number[] = [];
    for (let i = 0; i < items.length; i++) {
      const value = cached[i];
      if (value === undefined) {
        missIdx.push(i);
      } else {
        items[i]![1].resolve(value);
        inFlight.delete(items[i]![0]);
      }
    }
    if (missIdx.length === 0) return;
    const loaded = await loadIds(missIdx.map((i) => items[i]![1].id));
    const writes: Array<{ key: string; value: T; ttl?: number; tags?: readonly string[] }> = [];
    missIdx.forEach((itemIdx, j) => {
      const [key, pending] = items[itemIdx]!;
      const result = loaded[j]!;
      if (result.status === 'rejected') {
        pending.reject(result.reason);
        return;
      }
      const value = result.value;
      if (value !== undefined) {
        writes.push({
          key,
          value,
          ...(ttl === undefined ? {} : { ttl }),
          ...(tags === undefined ? {} : { tags }),
        });
      }
      pending.resolve(value);
    });
    // Joiners keep getting the loaded value until the write-back lands, so they do not load it again.
    if (writes.length > 0) await cache.setMany(writes).catch(() => undefined);
    for (const i of missIdx) inFlight.delete(items[i]![0]);
  };

  /** Loads the ids; each result is the value or, for an id whose load failed, the error. */
  const loadIds = async (ids: Id[]): Promise<Array<PromiseSettledResult<T | undefined>>> => {
    if (loadMany === undefined || ids.length === 1) return Promise.allSettled(ids.map((id) => load(id)));
    try {
      const result = await loadMany(ids);
      if (result instanceof Map) return ids.map((id) => ({ status: 'fulfilled', value: result.get(id) }));
      const list = result as ReadonlyArray<T | undefined>;
      if (!Array.isArray(list) || list.length !== ids.length) {
        throw new TypeError(
          `Expected \`loadMany\` to return an array of ${ids.length} values (aligned with ids) or a Map`,
        );
      }
      return list.map((value) => ({ status: 'fulfilled', value }));
    } catch (reason) {
      return ids.map(() => ({ status: 'rejected', reason }));
    }
  };

  const get = (id: Id): Promise<T | undefined> => {
    const key = toKey(id);
    const running = inFlight.get(key);
    if (running !== undefined) return running;
    const promise = new Promise<T | undefined>((resolve, reject) => {
      batch.set(key, { id, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        if (windowMs === 0) setImmediate(dispatch);
        else setTimeout(dispatch, windowMs);
      }
    });
    inFlight.set(key, promise);
    return promise;
  };

  return {
    get,
    getMany: (ids) => Promise.all(ids.map(get)),
  };
}
