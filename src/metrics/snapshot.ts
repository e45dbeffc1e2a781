import type { CacheStats, StatsRecorder } from './stats.js';

/** What the snapshot reads of the tiers besides the counters. */
export interface TierReadings {
  readonly l1:
    | {
        readonly evictions: number;
        readonly expirations: number;
        readonly size: number;
        readonly bytes: number;
      }
    | undefined;
  readonly l2: { readonly circuitOpen: boolean; circuitOpenByNode(): Record<string, boolean> } | undefined;
}

/** A snapshot of a cache's counters and its tiers' readings (`cache.stats()`). */
export function statsSnapshot(s: StatsRecorder, tiers: TierReadings): CacheStats {
  const lookups = s.hits + s.misses;
  const { l1, l2 } = tiers;
  const stats: CacheStats = {
    hits: s.hits,
    misses: s.misses,
    hitRatio: lookups === 0 ? 0 : s.hits / lookups,
    tiers: {
      l1: { hits: s.l1Hits, misses: s.l1Misses },
      l2: { hits: s.l2Hits, misses: s.l2Misses, errors: s.l2Errors },
    },
    stale: {
      swr: s.staleSwr,
      failSafe: s.staleFailSafe,
      softTimeout: s.staleSoftTimeout,
      lockWait: s.staleLockWait,
      total: s.staleSwr + s.staleFailSafe + s.staleSoftTimeout + s.staleLockWait,
    },
    sets: s.sets,
    deletes: s.deletes,
    loads: {
      calls: s.loadCalls,
      errors: s.loadErrors,
      timeouts: s.loadTimeouts,
      coalesced: s.coalesced,
      refreshes: s.refreshes,
      lockWaits: s.lockWaits,
    },
    corrupt: s.corrupt,
    evictions: l1?.evictions ?? 0,
    expirations: l1?.expirations ?? 0,
    entries: l1?.size ?? 0,
    bytes: l1?.bytes ?? 0,
    latency: { get: s.getLatency.summary(), load: s.loadLatency.summary() },
    l2CircuitOpen: l2?.circuitOpen ?? false,
  };
  const byNode = l2?.circuitOpenByNode();
  if (byNode !== undefined && Object.keys(byNode).length > 0) stats.l2CircuitOpenByNode = byNode;
  return stats;
}
