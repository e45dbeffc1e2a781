/**
 * The cross-process stampede lock: an **efficiency** lease, not a mutex.
 *
 * A holder gets a lease with an owner token and a fencing token that increases with every grant. Its
 * cache write is a compare-and-set on the fencing token, so a holder that paused past its lease cannot
 * overwrite a newer value. It reduces duplicate loads across a fleet; it is not mutual exclusion across
 * failovers or long pauses and must never guard side effects.
 */
export interface Lease {
  /** The cache key the lease is for (full stored key). */
  readonly key: string;
  /** Random owner token; release and extend succeed only for the owner. */
  readonly token: string;
  /** Fencing token: strictly increasing per key across grants. */
  readonly fence: number;
}

/** A provider of leases (Redis in `stratacache/redis`). */
export interface DistributedLock {
  /** Tries once to take the lease on `key` for `leaseMs`; `undefined` when another process holds it. */
  acquire(key: string, leaseMs: number): Promise<Lease | undefined>;
  /**
   * Writes `value` under the lease's key iff no newer fence has written it, then releases the lease and
   * wakes waiters. Resolves false when the write was fenced out (a newer holder wrote first).
   */
  commit(lease: Lease, value: Uint8Array, ttlMs: number | undefined): Promise<boolean>;
  /** Releases the lease without writing (the loader failed); wakes waiters. Only the owner can release. */
  release(lease: Lease): Promise<void>;
  /** Extends a lease still owned; false when it was lost. */
  extend(lease: Lease, leaseMs: number): Promise<boolean>;
  /** Resolves when the holder of `key` commits or releases (woken by pub/sub), or after `timeoutMs`. */
  wait(key: string, timeoutMs: number): Promise<void>;
  /** Stops listeners the lock created; idempotent. */
  close(): Promise<void>;
}
