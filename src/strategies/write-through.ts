import { StoreError } from '../errors.js';
import { assertKnownKeys, assertTtl } from '../internal/asserts.js';
import { Emitter } from '../internal/emitter.js';
import { type CachePort, keyFunction } from './cache-port.js';

/** Options of {@link writeThrough}. */
export interface WriteThroughOptions<T, Id> {
  /** Writes one value to the source (the system of record). */
  save: (id: Id, value: T) => Promise<void>;
  /** Deletes one id from the source; required to call `delete`. */
  delete?: (id: Id) => Promise<void>;
  /** Loads one id on a cache miss in `read`; without it, `read` returns only what the cache holds. */
  load?: (id: Id) => Promise<T | undefined>;
  /** The cache key of an id. @default String(id) */
  key?: (id: Id) => string;
  /** TTL in ms of written values; the cache's default when omitted. */
  ttl?: number;
  /** Tags stored with every written value. */
  tags?: readonly string[];
}

/** Events of a {@link WriteThrough}. */
export type WriteThroughEvents = {
  /**
   * The source write succeeded but updating the cache failed; `invalidated` says whether deleting the
   * key then worked (if not, the cache may serve the old value until its TTL).
   */
  'cache-error': [key: string, error: unknown, invalidated: boolean];
};

/** What {@link writeThrough} returns. */
export interface WriteThrough<T, Id> {
  /** Writes the source, then the cache; rejects (leaving the cache untouched) when the source write fails. */
  write(id: Id, value: T): Promise<void>;
  /** Deletes from the source, then from the cache (which tells other instances). */
  delete(id: Id): Promise<void>;
  /** The cached value, else the source's (through `load`, then cached). */
  read(id: Id): Promise<T | undefined>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof WriteThroughEvents>(
    name: K,
    listener: (...args: WriteThroughEvents[K]) => void,
  ): () => void;
}

const KNOWN = ['save', 'delete', 'load', 'key', 'ttl', 'tags'] as const;

/**
 * Write-through: every write goes to the source first and to the cache second.
 *
 * A failed source write rejects and leaves the cache untouched. A failed cache write after a good
 * source write deletes the key instead (the `Cache` broadcasts the delete to other instances), so the
 * cache never keeps a value older than the source's; the write still resolves, since the source has it,
 * and a `cache-error` event reports it. Writes and deletes of one id are **serialized per id in this
 * process**, so two concurrent writes cannot reach the cache in the opposite order from the source.
 *
 * @example
 * const users = writeThrough(cache, { save: (id, u) => db.saveUser(id, u), key: (id) => `user:${id}` });
 * await users.write(1, { name: 'Ada' });
 */
export function writeThrough<T, Id = string>(
  cache: CachePort,
  options: WriteThroughOptions<T, Id>,
): WriteThrough<T, Id> {
  assertKnownKeys('writeThrough', options, KNOWN);
  if (typeof options.save !== 'function') throw new TypeError('Expected `save` to be a function');
  const ttl = options.ttl === undefined ? undefined : assertTtl('ttl', options.ttl);
  const toKey = keyFunction(options.key);
  const { save, load, tags } = options;
  const remove = options.delete;
  const setOptions = {
    ...(ttl === undefined ? {} : { ttl }),
    ...(tags === undefined ? {} : { tags }),
  };
  const events = new Emitter<WriteThroughEvents>();
  const chains = new Map<string, Promise<unknown>>();

  const serialized = <R>(key: string, task: () => Promise<R>): Promise<R> => {
    const previous = chains.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => undefined);
    chains.set(key, tail);
    void tail.then(() => {
      if (chains.get(key) === tail) chains.delete(key);
    });
    return next;
  };

  const invalidate = async (key: string, error: unknown): Promise<void> => {
    let invalidated = true;
    try {
      await cache.delete(key);
    } catch {
      invalidated = false;
    }
    events.emit('cache-error', key, error, invalidated);
  };

  return {
    write(id, value) {
      const key = toKey(id);
      return serialized(key, async () => {
        await save(id, value);
        try {
          if ((await cache.set(key, value, setOptions)) === false) {
            throw new StoreError(`writeThrough: the cache write of \`${key}\` did not reach every tier`);
          }
        } catch (err) {
          await invalidate(key, err);
        }
      });
    },
    delete(id) {
      if (remove === undefined) {
        return Promise.reject(new TypeError('writeThrough: `delete` needs the `delete` option'));
      }
      const key = toKey(id);
      return serialized(key, async () => {
        await remove(id);
        try {
          await cache.delete(key);
        } catch (err) {
          await invalidate(key, err);
        }
      });
    },
    async read(id) {
      const key = toKey(id);
      let cached: T | undefined;
      try {
        cached = await cache.get<T>(key);
      } catch {
        cached = undefined;
      }
      if (cached !== undefined || load === undefined) return cached;
      const value = await load(id);
      if (value !== undefined) await cache.set(key, value, setOptions).catch(() => undefined);
      return value;
    },
    on: (name, listener) => events.on(name, listener),
  };
}
