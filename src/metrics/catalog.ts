import type { LatencySummary } from './histogram.js';
import type { CacheStats } from './stats.js';

/** What the metric adapters read: anything with `stats()`, usually a `Cache`. */
export interface StatsSource {
  stats(): CacheStats;
}

/** A metric that is one number per cache, or one number per value of its label `by`. */
export interface ValueMetric {
  /** `counter` only grows; `updown` and `gauge` move both ways (`updown` is a sum, `gauge` a state). */
  kind: 'counter' | 'updown' | 'gauge';
  /** The OpenTelemetry name, without the prefix; see {@link prometheusName} for the Prometheus one. */
  name: string;
  description: string;
  /** UCUM unit, as OpenTelemetry expects. */
  unit: string;
  /** The label (attribute) that splits the metric, when `read` returns one value per label value. */
  by?: 'tier' | 'reason' | 'namespace';
  read: (s: CacheStats) => number | Record<string, number>;
}

/**
 * A latency distribution, in seconds: a histogram with the classic buckets of `LATENCY_BOUNDS_MS` (and,
 * where asked for, the deprecated quantiles 0.5, 0.9, 0.99 and 1 = the max).
 */
export interface LatencyMetric {
  kind: 'latency';
  /** The OpenTelemetry name, without the prefix; see {@link prometheusName} for the Prometheus one. */
  name: string;
  description: string;
  unit: 's';
  /** The summary in milliseconds, as `cache.stats()` gives it. */
  read: (s: CacheStats) => LatencySummary;
}

export type Metric = ValueMetric | LatencyMetric;

/** Label (attribute) names the adapters set themselves, so user labels cannot take them. */
export const RESERVED_LABELS: readonly string[] = ['cache', 'tier', 'reason', 'namespace', 'quantile', 'le'];

/** The quantiles a latency metric exports (1 is the max). */
export const QUANTILES = [
  ['0.5', 'p50'],
  ['0.9', 'p90'],
  ['0.99', 'p99'],
  ['1', 'max'],
] as const;

/** Every metric the adapters export, in export order; the README lists these names. */
export const METRICS: readonly Metric[] = [
  {
    kind: 'counter',
    name: 'hits',
    description: 'Lookups that found a fresh value, in any tier.',
    unit: '{lookup}',
    read: (s) => s.hits,
  },
  {
    kind: 'counter',
    name: 'misses',
    description: 'Lookups that found no fresh value in any tier.',
    unit: '{lookup}',
    read: (s) => s.misses,
  },
  {
    kind: 'counter',
    name: 'tier.hits',
    description: 'Fresh values found, by tier.',
    unit: '{lookup}',
    by: 'tier',
    read: (s) => ({ l1: s.tiers.l1.hits, l2: s.tiers.l2.hits }),
  },
  {
    kind: 'counter',
    name: 'tier.misses',
    description: 'Lookups that did not find a fresh value, by tier.',
    unit: '{lookup}',
    by: 'tier',
    read: (s) => ({ l1: s.tiers.l1.misses, l2: s.tiers.l2.misses }),
  },
  {
    kind: 'counter',
    name: 'l2.errors',
    description: 'L2 calls that failed or timed out.',
    unit: '{call}',
    read: (s) => s.tiers.l2.errors,
  },
  {
    kind: 'counter',
    name: 'stale_served',
    description: 'Stale values served, by reason.',
    unit: '{value}',
    by: 'reason',
    read: (s) => ({
      swr: s.stale.swr,
      fail_safe: s.stale.failSafe,
      soft_timeout: s.stale.softTimeout,
      lock_wait: s.stale.lockWait,
    }),
  },
  {
    kind: 'counter',
    name: 'sets',
    description: 'Values written, by set() and by loads.',
    unit: '{value}',
    read: (s) => s.sets,
  },
  { kind: 'counter', name: 'deletes', description: 'Keys deleted.', unit: '{key}', read: (s) => s.deletes },
  {
    kind: 'counter',
    name: 'loads',
    description: 'Loader calls.',
    unit: '{call}',
    read: (s) => s.loads.calls,
  },
  {
    kind: 'counter',
    name: 'load.errors',
    description: 'Loader calls that threw or rejected.',
    unit: '{call}',
    read: (s) => s.loads.errors,
  },
  {
    kind: 'counter',
    name: 'load.timeouts',
    description: 'Loads that passed their hard timeout.',
    unit: '{call}',
    read: (s) => s.loads.timeouts,
  },
  {
    kind: 'counter',
    name: 'loads.coalesced',
    description: 'Callers that joined an in-flight load instead of calling the loader.',
    unit: '{call}',
    read: (s) => s.loads.coalesced,
  },
  {
    kind: 'counter',
    name: 'refreshes',
    description: 'Background refreshes started (early refresh and stale-while-revalidate).',
    unit: '{call}',
    read: (s) => s.loads.refreshes,
  },
  {
    kind: 'counter',
    name: 'lock_waits',
    description:
      "Loads that waited for another process's lease (they may still have loaded themselves after the wait).",
    unit: '{call}',
    read: (s) => s.loads.lockWaits,
  },
  {
    kind: 'counter',
    name: 'corrupt',
    description: 'Stored values that could not be decoded (counted as misses).',
    unit: '{value}',
    read: (s) => s.corrupt,
  },
  {
    kind: 'counter',
    name: 'l1.evictions',
    description: 'L1 entries evicted for capacity.',
    unit: '{entry}',
    read: (s) => s.evictions,
  },
  {
    kind: 'counter',
    name: 'l1.expirations',
    description: 'L1 entries removed because they expired.',
    unit: '{entry}',
    read: (s) => s.expirations,
  },
  {
    kind: 'updown',
    name: 'l1.entries',
    description: 'Entries held in L1.',
    unit: '{entry}',
    read: (s) => s.entries,
  },
  {
    kind: 'updown',
    name: 'l1.bytes',
    description: 'Bytes held in L1 (the memory tier estimate).',
    unit: 'By',
    read: (s) => s.bytes,
  },
  {
    kind: 'gauge',
    name: 'l2.circuit_open',
    description: '1 while an L2 circuit breaker (of any server) is open, else 0.',
    unit: '1',
    read: (s) => (s.l2CircuitOpen ? 1 : 0),
  },
  {
    kind: 'counter',
    name: 'namespace.hits',
    description:
      'Fresh values found, by namespace (only with a trackNamespaces source; at most `max` namespaces, then _other).',
    unit: '{lookup}',
    by: 'namespace',
    read: (s) => byNamespace(s, 'hits'),
  },
  {
    kind: 'counter',
    name: 'namespace.misses',
    description:
      'Lookups that found no fresh value, by namespace (only with a trackNamespaces source; at most `max` namespaces, then _other).',
    unit: '{lookup}',
    by: 'namespace',
    read: (s) => byNamespace(s, 'misses'),
  },
  {
    kind: 'latency',
    name: 'get.duration',
    description:
      'Latency of reads (L1 hits of the fast path are sampled 1 in 16, each sample counting 16; every other read is timed).',
    unit: 's',
    read: (s) => s.latency.get,
  },
  {
    kind: 'latency',
    name: 'load.duration',
    description: 'Latency of loader calls.',
    unit: 's',
    read: (s) => s.latency.load,
  },
];

function byNamespace(s: CacheStats, field: 'hits' | 'misses'): Record<string, number> {
  const out: Record<string, number> = {};
  if (s.namespaces !== undefined) for (const id in s.namespaces) out[id] = s.namespaces[id]![field];
  return out;
}

/**
 * The Prometheus name of a metric, without the prefix: dots become underscores, counters end in `_total`
 * and latencies in `_seconds` (`tier.hits` → `tier_hits_total`, `get.duration` → `get_duration_seconds`).
 */
export function prometheusName(metric: Metric): string {
  const base = metric.name.replaceAll('.', '_');
  if (metric.kind === 'counter') return `${base}_total`;
  if (metric.kind === 'latency') return `${base}_seconds`;
  return base;
}
