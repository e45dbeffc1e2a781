import { Histogram, type HistogramData, mergeHistograms } from '../../metrics/histogram.js';
import type { CacheStats } from '../../metrics/stats.js';

/** The counters of one instance in a fleet snapshot (monotonic since the cache was created). */
export interface FleetCounters {
  hits: number;
  misses: number;
  l1Hits: number;
  l1Misses: number;
  l2Hits: number;
  l2Misses: number;
  l2Errors: number;
  stale: number;
  sets: number;
  deletes: number;
  loads: number;
  loadErrors: number;
  loadTimeouts: number;
  coalesced: number;
  corrupt: number;
}

/**
 * What one instance publishes under its heartbeat key: compact, JSON-safe, versioned (`v`). Times are
 * epoch ms of the publishing host (`at` is when it was written), so compare them across hosts loosely.
 */
export interface InstanceSnapshot {
  v: 1;
  id: string;
  /** The `name` given to `startHeartbeat` (a service name), when one was. */
  name?: string;
  host: string;
  pid: number;
  /** The stratacache version of the instance. */
  version: string;
  startedAt: number;
  at: number;
  uptimeMs: number;
  counters: FleetCounters;
  latency: { get: HistogramData; load: HistogramData };
  l1: { entries: number; bytes: number; evictions: number; expirations: number };
  /** Whether the instance's L2 circuit breaker is open. */
  breakerOpen: boolean;
  /** This heartbeat's own record: beats written and beats that failed before this one. */
  heartbeat: { beats: number; failures: number };
}

/** Percentiles (ms) of a merged histogram. */
export interface FleetLatency {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  histogram: HistogramData;
}

/** The sums over every live instance. */
export interface FleetTotals {
  instances: number;
  counters: FleetCounters;
  hitRatio: number;
  l1: { entries: number; bytes: number; evictions: number; expirations: number };
  /** Instances whose L2 circuit breaker is open. */
  breakersOpen: number;
  latency: { get: FleetLatency; load: FleetLatency };
}

/** What `readFleet` returns. */
export interface FleetView {
  /** Live instances (their heartbeat key has not expired), by id. */
  instances: InstanceSnapshot[];
  totals: FleetTotals;
  /** Heartbeat keys whose value was not a snapshot this version can read (skipped, never thrown). */
  unreadable: number;
}

/** The identity fields of a snapshot, fixed for the heartbeat's life. */
export type InstanceIdentity = Pick<
  InstanceSnapshot,
  'id' | 'name' | 'host' | 'pid' | 'version' | 'startedAt'
>;

export function snapshotOf(
  identity: InstanceIdentity,
  s: CacheStats,
  at: number,
  heartbeat: InstanceSnapshot['heartbeat'],
): InstanceSnapshot {
  return {
    v: 1,
    ...identity,
    at,
    uptimeMs: Math.max(0, at - identity.startedAt),
    counters: {
      hits: s.hits,
      misses: s.misses,
      l1Hits: s.tiers.l1.hits,
      l1Misses: s.tiers.l1.misses,
      l2Hits: s.tiers.l2.hits,
      l2Misses: s.tiers.l2.misses,
      l2Errors: s.tiers.l2.errors,
      stale: s.stale.total,
      sets: s.sets,
      deletes: s.deletes,
      loads: s.loads.calls,
      loadErrors: s.loads.errors,
      loadTimeouts: s.loads.timeouts,
      coalesced: s.loads.coalesced,
      corrupt: s.corrupt,
    },
    latency: { get: s.latency.get.histogram, load: s.latency.load.histogram },
    l1: { entries: s.entries, bytes: s.bytes, evictions: s.evictions, expirations: s.expirations },
    breakerOpen: s.l2CircuitOpen,
    heartbeat,
  };
}

/** Parses a heartbeat value; `undefined` for anything that is not a v1 snapshot. */
export function parseSnapshot(text: string): InstanceSnapshot | undefined {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null) return undefined;
  const s = o as Partial<InstanceSnapshot>;
  const ok =
    s.v === 1 &&
    typeof s.id === 'string' &&
    typeof s.counters === 'object' &&
    s.counters !== null &&
    typeof s.l1 === 'object' &&
    s.l1 !== null &&
    Array.isArray(s.latency?.get?.buckets) &&
    Array.isArray(s.latency?.load?.buckets);
  return ok ? (s as InstanceSnapshot) : undefined;
}

function latencyOf(parts: HistogramData[]): FleetLatency {
  const histogram = mergeHistograms(parts);
  const h = Histogram.from(histogram);
  return {
    count: histogram.count,
    p50: h.quantile(0.5),
    p90: h.quantile(0.9),
    p99: h.quantile(0.99),
    max: histogram.max,
    histogram,
  };
}

function sumOf<K extends string>(
  rows: ReadonlyArray<Record<K, number>>,
  keys: readonly K[],
): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of keys) out[k] = rows.reduce((n: number, r) => n + (Number(r[k]) || 0), 0);
  return out;
}

const COUNTER_KEYS: ReadonlyArray<keyof FleetCounters> = [
  'hits',
  'misses',
  'l1Hits',
  'l1Misses',
  'l2Hits',
  'l2Misses',
  'l2Errors',
  'stale',
  'sets',
  'deletes',
  'loads',
  'loadErrors',
  'loadTimeouts',
  'coalesced',
  'corrupt',
];
const L1_KEYS: ReadonlyArray<keyof InstanceSnapshot['l1']> = ['entries', 'bytes', 'evictions', 'expirations'];

/** Adds up instances: counters and L1 sizes sum, histograms merge bucket-wise (so fleet p99 is exact to a bucket). */
export function fleetTotals(instances: readonly InstanceSnapshot[]): FleetTotals {
  const counters = sumOf(
    instances.map((i) => i.counters),
    COUNTER_KEYS,
  );
  const lookups = counters.hits + counters.misses;
  return {
    instances: instances.length,
    counters,
    hitRatio: lookups === 0 ? 0 : counters.hits / lookups,
    l1: sumOf(
      instances.map((i) => i.l1),
      L1_KEYS,
    ),
    breakersOpen: instances.filter((i) => i.breakerOpen).length,
    latency: {
      get: latencyOf(instances.map((i) => i.latency.get)),
      load: latencyOf(instances.map((i) => i.latency.load)),
    },
  };
}
