/** Pattern invalidation in L2: scan and delete where the store can scan, else remember the pattern. */
import type { Core } from '../core/core.js';
import { compileGlob } from '../internal/glob.js';

/** Pattern invalidations kept for an L2 that cannot scan; the oldest go first. */
const MAX_PATTERNS = 1000;
/** Keys deleted per round trip while scanning. */
const DELETE_BATCH = 500;
/** The time budget of a scan over the whole keyspace (not the per-call `l2Timeout`). */
export const SLOW_OP_MS = 30_000;

/**
 * Removes the L2 keys matching `fullGlob` (the cache prefix included) when the store can scan, and
 * resolves how many; otherwise remembers the pattern (checked on every L2 read) and resolves 0.
 */
export async function invalidateL2Pattern(c: Core, fullGlob: string): Promise<number> {
  const l2 = c.l2;
  if (l2 === undefined) return 0;
  if (l2.store.scan === undefined) {
    rememberPattern(c, fullGlob, c.o.clock.now());
    return 0;
  }
  return l2.call(
    'invalidatePattern',
    0,
    async (s) => {
      let n = 0;
      let batch: string[] = [];
      for await (const key of s.scan!(fullGlob)) {
        batch.push(key);
        if (batch.length >= DELETE_BATCH) {
          n += await s.deleteMany(batch);
          batch = [];
        }
      }
      if (batch.length > 0) n += await s.deleteMany(batch);
      return n;
    },
    SLOW_OP_MS,
  );
}

/** Remembers a pattern invalidation (full L2 glob) for an L2 that cannot scan: checked on every L2 read. */
export function rememberPattern(c: Core, fullGlob: string, at: number): void {
  const patterns = c.patterns;
  patterns.push({ glob: compileGlob(fullGlob), at });
  if (patterns.length > MAX_PATTERNS) patterns.splice(0, patterns.length - MAX_PATTERNS);
}
