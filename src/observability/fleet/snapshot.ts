import { Histogram, type HistogramData, mergeHistograms } from '../../metrics/histogram.js';
import type { CacheStats } from '../../metrics/stats.js';
import type { WriteBehindStats } from '../../strategies/write-behind/write-behind-options.js';

/** Most servers listed in a snapshot's `nodes.breakerOpen` (the cache keeps as many per-node breakers). */
export const MAX_SNAPSHOT_NODES = 32;

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
 * The health of the servers behind an instance's L2 (a sharded pool's nodes, a Cluster's masters), as
 * its per-server circuit breakers see them. Only servers the cache has called have a breaker.
 */
export interface NodeHealth {
  /** Servers with a breaker of their own. */
  total: number;
  /** Of those, servers whose breaker is open (calls to them are refused). */
  open: number;
  /** Breaker open, by server: at most {@link MAX_SNAPSHOT_NODES}, open ones first when there are more. */
  breakerOpen: Record<string, boolean>;
}

/** The write-behind queues of an instance (or of the fleet), added up. */
export interface WriteBehindSummary {
  /** Queues reporting. */
  queues: number;
  /** Writes held: queued, in flight, waiting to retry, or journaled and not yet read back (the depth). */
  pending: number;
  /** Age in ms of the oldest held write, the worst of the queues (the lag behind the source). */
  lagMs: number;
  /** Entries given up on (the dead-letter hook was called). */
  deadLettered: number;
  /** Entries scheduled for another attempt after a failed batch. */
  retried: number;
  /** Entries committed to the source. */
  flushed: number;
  /** Failed background journal calls. */
  journalErrors: number;
  /** Journal losses detected. */
  journalLosses: number;
}

/**
 * What one instance publishes under its heartbeat key: compact, JSON-safe, versioned (`v`). Times are
 * epoch ms of the publishing host (`at` is when it was written), so compare them across hosts loosely.
 * Fields added after the first release are optional (`nodes`, `writeBehind`): a snapshot of an older
 * instance simply lacks them, and `v` stays 1 so older readers still list newer instances.
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
  /** Per-server L2 health; absent when the L2 store names no servers (one Redis) or none was called yet. */
  nodes?: NodeHealth;
  /** The write-behind queues given to `startHeartbeat`; absent without any. */
  writeBehind?: WriteBehindSummary;
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
  /** Write-behind over every instance that has queues (depths and dead letters summed, worst lag); absent when none has. */
  writeBehind?: WriteBehindSummary;
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

/** The per-server breakers of `byNode` (`cache.stats().l2CircuitOpenByNode`), bounded; undefined when empty. */
export function nodeHealthOf(byNode: Record<string, boolean> | undefined): NodeHealth | undefined {
  if (byNode === undefined) return undefined;
  const entries = Object.entries(byNode);
  if (entries.length === 0) return undefined;
  const open = entries.filter(([, o]) => o).length;
  // Open servers are the news: past the cap, they are the ones kept.
  if (entries.length > MAX_SNAPSHOT_NODES) entries.sort(([, a], [, b]) => Number(b) - Number(a));
  return {
    total: entries.length,
    open,
    breakerOpen: Object.fromEntries(entries.slice(0, MAX_SNAPSHOT_NODES)),
  };
}

const WB_SUM_KEYS = [
  'queues',
  'pending',
  'deadLettered',
  'retried',
  'flushed',
  'journalErrors',
  'journalLosses',
] as const;

/** Adds up write-behind summaries: counts and depths sum, the lag is the worst one; undefined for none. */
export function mergeWriteBehind(parts: readonly WriteBehindSummary[]): WriteBehindSummary | undefined {
  if (parts.length === 0) return undefined;
  return {
    ...sumOf(parts, WB_SUM_KEYS),
    lagMs: parts.reduce((m, p) => Math.max(m, Number(p.lagMs) || 0), 0),
  };
}

/** The summary of write-behind queues' stats (one per queue); undefined for none. */
export function writeBehindOf(stats: readonly WriteBehindStats[]): WriteBehindSummary | undefined {
  return mergeWriteBehind(stats.map((w) => ({ ...w, queues: 1 })));
}

export function snapshotOf(
  identity: InstanceIdentity,
  s: CacheStats,
  at: number,
  heartbeat: InstanceSnapshot['heartbeat'],
  writeBehind: readonly WriteBehindStats[] = [],
): InstanceSnapshot {
  const nodes = nodeHealthOf(s.l2CircuitOpenByNode);
  const wb = writeBehindOf(writeBehind);
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
    ...(nodes === undefined ? {} : { nodes }),
    ...(wb === undefined ? {} : { writeBehind: wb }),
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
  if (!ok) return undefined;
  // Optional parts of a foreign shape are dropped, never trusted: the rest of the snapshot still counts.
  if (s.nodes !== undefined && !isObject(s.nodes?.breakerOpen)) delete s.nodes;
  if (s.writeBehind !== undefined && !isObject(s.writeBehind)) delete s.writeBehind;
  return s as InstanceSnapshot;
}

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
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
  rows: ReadonlyArray<Readonly<Record<K, number>>>,
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
  const writeBehind = mergeWriteBehind(
    instances.flatMap((i) => (i.writeBehind === undefined ? [] : [i.writeBehind])),
  );
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
    ...(writeBehind === undefined ? {} : { writeBehind }),
  };
}
