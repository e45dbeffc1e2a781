import type { Cache } from '../../../src/cache.js';
import type { CacheStats } from '../../../src/metrics/stats.js';

/** The stale counts by reason label that {@link distinctStats} reports. */
export const STALE_BY_REASON = { swr: 1, fail_safe: 2, soft_timeout: 3, lock_wait: 4 };

/** The `loads.lockWaits` that {@link distinctStats} reports. */
export const LOCK_WAITS = 7;

/** The `lock_waits` description both adapters export. */
export const LOCK_WAITS_DESCRIPTION =
  "Loads that waited for another process's lease (they may still have loaded themselves after the wait).";

/** A stats source reporting a cache's stats with a distinct count for every stale reason and the lease waits. */
export function distinctStats(cache: Cache): { stats: () => CacheStats } {
  return {
    stats: () => {
      const real = cache.stats();
      return {
        ...real,
        stale: {
          swr: STALE_BY_REASON.swr,
          failSafe: STALE_BY_REASON.fail_safe,
          softTimeout: STALE_BY_REASON.soft_timeout,
          lockWait: STALE_BY_REASON.lock_wait,
          total: 10,
        },
        loads: { ...real.loads, lockWaits: LOCK_WAITS },
      };
    },
  };
}
