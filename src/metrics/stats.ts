import { Histogram, type LatencySummary } from './histogram.js';

/** A snapshot returned by `cache.stats()`. */
export interface CacheStats {
  hits: number;
  misses: number;
  hitRatio: number;
  /** Hits per tier. */
  tiers: { l1: { hits: number; misses: number }; l2: { hits: number; misses: number; errors: number } };
  /** Stale values served, by reason. */
  stale: { swr: number; failSafe: number; softTimeout: number; lockWait: number; total: number };
  sets: number;
  deletes: number;
  loads: {
    calls: number;
    errors: number;
    timeouts: number;
    /** Callers that joined an in-flight load instead of calling the loader. */
    coalesced: number;
    /** Background refreshes started (early refresh and stale-while-revalidate). */
    refreshes: number;
    /** Loads that waited for another process's lease (they may still have loaded themselves after the wait). */
    lockWaits: number;
  };
  /** Stored values that could not be decoded and were treated as misses. */
  corrupt: number;
  evictions: number;
  expirations: number;
  entries: number;
  bytes: number;
  latency: { get: LatencySummary; load: LatencySummary };
  /** Whether an L2 circuit breaker is open (the default one, or that of one server). */
  l2CircuitOpen: boolean;
  /**
   * Whether each L2 server's own breaker is open, by server (`host:port` of a Cluster master, node name of a
   * sharded pool); present only when the L2 store names its servers (`Store.nodeFor`).
   */
  l2CircuitOpenByNode?: Record<string, boolean>;
  /**
   * Hits and misses by namespace id (`_root` for keys outside any namespace, `_other` past the cap). Only
   * a source made by `trackNamespaces` fills it; `cache.stats()` does not.
   */
  namespaces?: Record<string, NamespaceCounts>;
}

/** Lookups of one namespace (see `trackNamespaces`). */
export interface NamespaceCounts {
  hits: number;
  misses: number;
}

/** Mutable counters behind `cache.stats()`; shared by a cache and its namespaces. */
export class StatsRecorder {
  l1Hits = 0;
  l1Misses = 0;
  l2Hits = 0;
  l2Misses = 0;
  l2Errors = 0;
  staleSwr = 0;
  staleFailSafe = 0;
  staleSoftTimeout = 0;
  staleLockWait = 0;
  sets = 0;
  deletes = 0;
  loadCalls = 0;
  loadErrors = 0;
  loadTimeouts = 0;
  coalesced = 0;
  refreshes = 0;
  lockWaits = 0;
  corrupt = 0;
  hits = 0;
  misses = 0;
  readonly getLatency = new Histogram();
  readonly loadLatency = new Histogram();
}
