import type { StoreError } from '../errors.js';
import type { Bus } from './bus.js';
import type { DistributedLock } from './lock.js';

/**
 * The contract every remote tier implements (Redis, Redis Cluster, Memcached, sharded pools).
 *
 * A store moves bytes, never objects: the `Cache` encodes entries (value + metadata) into an envelope and
 * decodes them back. Every method may reject with a {@link StoreError}; the `Cache` turns such rejections
 * into misses and counted errors, so a store need not swallow them itself. Stores accept an existing
 * client or connection options and close only what they created.
 */
export interface Store {
  /** A short name for stats, events and error messages (`redis`, `memcached:127.0.0.1:11211`). */
  readonly name: string;
  /**
   * Optional: why the store cannot reach its server right now (the last connection error while no reply has
   * come since), so a timed-out call can name the real cause (refused, auth failed, TLS).
   */
  readonly connectionError?: StoreError | undefined;
  /** What the store can do natively; the `Cache` falls back on its own mechanisms for the rest. */
  readonly capabilities: StoreCapabilities;
  /**
   * Optional: the server that holds `key` (a Cluster master's address, a pool's node name), or `undefined`
   * when unknown. The `Cache` keeps one circuit breaker per server it names, so one dead node does not cut
   * the L2 of keys held by healthy ones; a store without it gets one breaker for all its keys. Called on
   * every L2 call: it must be cheap and should not allocate.
   */
  nodeFor?(key: string): string | undefined;
  /**
   * Optional, with `nodeFor`: every server `nodeFor` can name now. When a failover or a resharding names a
   * new server, the `Cache` drops the breakers of servers no longer listed (an open one would otherwise be
   * reported open for good, no call reaching it again).
   */
  nodes?(): readonly string[];
  /**
   * Optional: calls `listener` each time a connection of the store becomes ready (the first time, and after
   * every reconnect), with the server it reaches as `nodeFor` names it (`undefined`: the store's only
   * server, or every one). The `Cache` uses it to probe an open circuit breaker at once instead of waiting
   * out its reset time, so L2 comes back when the server does. Returns a function that removes the
   * listener; `close()` removes every one. A listener must not throw.
   */
  onReady?(listener: (node: string | undefined) => void): () => void;

  /** The bytes under `key`, or `undefined` when absent or expired. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** The bytes under each key, in key order, `undefined` for each miss. */
  getMany(keys: readonly string[]): Promise<Array<Uint8Array | undefined>>;
  /** Stores `value` under `key`; `ttlMs` undefined means no expiry. */
  set(key: string, value: Uint8Array, ttlMs?: number): Promise<void>;
  /** Stores every entry; not atomic across keys. */
  setMany(entries: readonly StoreEntry[]): Promise<void>;
  /** Removes `key`; true if it existed (stores that cannot tell return true). */
  delete(key: string): Promise<boolean>;
  /** Removes every key; the number removed (or the number asked, where the store cannot tell). */
  deleteMany(keys: readonly string[]): Promise<number>;
  /** True if `key` holds a value. */
  has(key: string): Promise<boolean>;
  /** Resets the TTL of an existing key (sliding expiry); false if the key is absent. */
  touch(key: string, ttlMs: number): Promise<boolean>;
  /**
   * Removes every key that starts with `prefix` (every key the store holds when `prefix` is empty and the
   * store owns its keyspace). Never a FLUSHDB on a shared server: stores scan and delete by prefix.
   */
  clear(prefix: string): Promise<void>;
  /** Every key matching a glob (Redis MATCH semantics); present only where `capabilities.scan`. */
  scan?(glob: string): AsyncIterable<string>;
  /** Releases connections the store created; idempotent. */
  close(): Promise<void>;

  /** Atomically adds `by` to an integer counter (namespace generations); present where `scripts`. */
  incr?(key: string, by?: number): Promise<number>;
  /**
   * Atomically raises a numeric key to `value` if it is lower (tag invalidation timestamps) and returns the
   * stored maximum; present where `scripts`.
   */
  setMax?(key: string, value: number, ttlMs?: number): Promise<number>;
  /** Reads numeric keys written by `incr`/`setMax` (0 for absent), in key order. */
  getNumbers?(keys: readonly string[]): Promise<number[]>;
  /** A bus over this store's server (`bus: true` on a `Cache`); present where `pubsub`. */
  createBus?(channel: string): Bus;
  /** A distributed lease lock over this store's server; present where `locks`. */
  createLock?(prefix: string): DistributedLock;
}

/** One entry of {@link Store.setMany}. */
export interface StoreEntry {
  key: string;
  value: Uint8Array;
  ttlMs?: number | undefined;
}

/** What a store does natively. */
export interface StoreCapabilities {
  /** Entries expire by themselves after `ttlMs`. */
  readonly ttl: boolean;
  /** `scan(glob)` is implemented (pattern invalidation and `clear(prefix)` without a key index). */
  readonly scan: boolean;
  /** The largest value the store accepts, in bytes (`Infinity` when unbounded). */
  readonly maxValueBytes: number;
  /** Atomic server-side scripts (Redis Lua). */
  readonly scripts: boolean;
  /** Publish/subscribe for the invalidation bus. */
  readonly pubsub: boolean;
  /** Distributed lease locks for cross-process stampede protection. */
  readonly locks: boolean;
}
