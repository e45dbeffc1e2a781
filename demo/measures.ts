import type { Cache, CacheStats } from 'stratacache';
import type { CatalogDatabase } from './catalog-database.js';
import type { StatsSample } from './timeline.js';
import type { TrafficResult } from './traffic.js';

/** The cache's and the database's counters when a phase begins (and once at the end). */
export interface Snapshot extends StatsSample {
  queries: number;
  refused: number;
}

/** An invariant of the run, printed at the end; one that fails makes the demo exit with 1. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export function snapshot(cache: Cache, db: CatalogDatabase): Snapshot {
  return { at: performance.now(), stats: cache.stats(), queries: db.queries, refused: db.refused };
}

/** Latencies of the requests whose phase is in `phases`. */
export function latenciesIn(result: TrafficResult, phases: readonly number[]): Float64Array {
  const picked: number[] = [];
  for (let i = 0; i < result.latencies.length; i++)
    if (phases.includes(result.phaseOf[i]!)) picked.push(result.latencies[i]!);
  return Float64Array.from(picked);
}

export function hitRatio(from: CacheStats, to: CacheStats): number {
  const hits = to.hits - from.hits;
  return hits / Math.max(1, hits + to.misses - from.misses);
}
