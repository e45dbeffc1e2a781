/** The public types of a cache's calls and events (re-exported by `cache.ts`). */
import type { EvictionReason } from '../stores/memory/memory-store.js';

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
