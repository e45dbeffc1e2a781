import { Counter, Gauge, type Registry, type RegistryContentType, register, Summary } from 'prom-client';
import type { Cache } from '../cache.js';
import { InvalidOptionError } from '../errors.js';
import { assertKnownKeys, describe } from '../internal/asserts.js';
import type { CacheStats } from './stats.js';

/** Options of {@link prometheusCollector}. */
export interface PrometheusCollectorOptions {
  /** The registry the metrics are registered in. @default prom-client's global `register` */
  registry?: Registry<RegistryContentType>;
  /** Prefix of every metric name. @default 'stratacache_' */
  prefix?: string;
  /** Value of the `cache` label, which tells apart caches sharing a registry and prefix. @default 'default' */
  name?: string;
  /** Constant labels added to every series of this cache; caches sharing a prefix must use the same label names. */
  labels?: Record<string, string>;
}

/** What {@link prometheusCollector} returns. */
export interface PrometheusCollector {
  /** Stops exporting this cache; the metrics leave the registry with the last cache using them. Idempotent. */
  unregister(): void;
}

type StatsSource = Pick<Cache, 'stats'>;
type Labels = Record<string, string>;

interface Spec {
  name: string;
  help: string;
  /** Name of the label that splits the series, when `read` returns one value per label value. */
  by?: string;
  read: (s: CacheStats) => number | Record<string, number>;
}

const COUNTERS: readonly Spec[] = [
  { name: 'hits_total', help: 'Lookups that found a fresh value, in any tier.', read: (s) => s.hits },
  { name: 'misses_total', help: 'Lookups that found no fresh value in any tier.', read: (s) => s.misses },
  {
    name: 'tier_hits_total',
    help: 'Fresh values found, by tier.',
    by: 'tier',
    read: (s) => ({ l1: s.tiers.l1.hits, l2: s.tiers.l2.hits }),
  },
  {
    name: 'tier_misses_total',
    help: 'Lookups that did not find a fresh value, by tier.',
    by: 'tier',
    read: (s) => ({ l1: s.tiers.l1.misses, l2: s.tiers.l2.misses }),
  },
  { name: 'l2_errors_total', help: 'L2 calls that failed or timed out.', read: (s) => s.tiers.l2.errors },
  {
    name: 'stale_served_total',
    help: 'Stale values served, by reason.',
    by: 'reason',
    read: (s) => ({ swr: s.stale.swr, fail_safe: s.stale.failSafe, soft_timeout: s.stale.softTimeout }),
  },
  { name: 'sets_total', help: 'Values written, by set() and by loads.', read: (s) => s.sets },
  { name: 'deletes_total', help: 'Keys deleted.', read: (s) => s.deletes },
  { name: 'loads_total', help: 'Loader calls.', read: (s) => s.loads.calls },
  { name: 'load_errors_total', help: 'Loader calls that threw or rejected.', read: (s) => s.loads.errors },
  {
    name: 'load_timeouts_total',
    help: 'Loads that passed their hard timeout.',
    read: (s) => s.loads.timeouts,
  },
  {
    name: 'loads_coalesced_total',
    help: 'Callers that joined an in-flight load instead of calling the loader.',
    read: (s) => s.loads.coalesced,
  },
  {
    name: 'refreshes_total',
    help: 'Background refreshes started (early refresh and stale-while-revalidate).',
    read: (s) => s.loads.refreshes,
  },
  {
    name: 'lock_waits_total',
    help: 'Loads skipped because a distributed lock holder produced the value.',
    read: (s) => s.loads.lockWaits,
  },
  {
    name: 'corrupt_total',
    help: 'Stored values that could not be decoded (counted as misses).',
    read: (s) => s.corrupt,
  },
  { name: 'l1_evictions_total', help: 'L1 entries evicted for capacity.', read: (s) => s.evictions },
  {
    name: 'l1_expirations_total',
    help: 'L1 entries removed because they expired.',
    read: (s) => s.expirations,
  },
];

const GAUGES: readonly Spec[] = [
  { name: 'l1_entries', help: 'Entries held in L1.', read: (s) => s.entries },
  { name: 'l1_bytes', help: 'Bytes held in L1 (the memory tier estimate).', read: (s) => s.bytes },
  {
    name: 'l2_circuit_open',
    help: '1 while the L2 circuit breaker is open, else 0.',
    read: (s) => (s.l2CircuitOpen ? 1 : 0),
  },
];

const SUMMARIES = [
  { op: 'get', name: 'get_duration_seconds', help: 'Latency of reads (L1 hits are sampled 1 in 16).' },
  { op: 'load', name: 'load_duration_seconds', help: 'Latency of loader calls.' },
] as const;

const RESERVED = ['cache', 'tier', 'reason', 'quantile'];
const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The caches exporting under one prefix of one registry; they share the metric objects. */
class CollectorGroup {
  readonly labelNames: readonly string[];
  readonly members = new Map<string, { source: StatsSource; labels: Labels }>();
  readonly #metrics: Array<{ name: string; metric: Counter | Gauge | Summary }> = [];
  #snapshot: Array<[Labels, CacheStats]> | undefined;

  constructor(registry: Registry<RegistryContentType>, prefix: string, labelNames: readonly string[]) {
    this.labelNames = labelNames;
    const all = ['cache', ...labelNames];
    const specs = [...COUNTERS, ...GAUGES, ...SUMMARIES].map((spec) => `${prefix}${spec.name}`);
    for (const name of specs) {
      if (registry.getSingleMetric(name) !== undefined) {
        throw new InvalidOptionError(
          `A metric named \`${name}\` is already registered in this registry; choose another \`prefix\``,
        );
      }
    }
    for (const spec of COUNTERS) {
      const by = spec.by === undefined ? [] : [spec.by];
      const metric: Counter = new Counter({
        name: prefix + spec.name,
        help: spec.help,
        labelNames: [...all, ...by],
        registers: [],
        collect: () => {
          metric.reset();
          this.#fill(spec, (labels, value) => metric.inc(labels, value));
        },
      });
      this.#metrics.push({ name: prefix + spec.name, metric });
    }
    for (const spec of GAUGES) {
      const metric: Gauge = new Gauge({
        name: prefix + spec.name,
        help: spec.help,
        labelNames: all,
        registers: [],
        collect: () => {
          metric.reset();
          this.#fill(spec, (labels, value) => metric.set(labels, value));
        },
      });
      this.#metrics.push({ name: prefix + spec.name, metric });
    }
    for (const spec of SUMMARIES) {
      const metric = new LatencySummary(this, spec.op, prefix + spec.name, spec.help, all);
      this.#metrics.push({ name: prefix + spec.name, metric });
    }
    for (const { metric } of this.#metrics) registry.registerMetric(metric);
  }

  /** Whether the registry still holds this group's metrics (a `registry.clear()` drops them). */
  isRegisteredIn(registry: Registry<RegistryContentType>): boolean {
    const first = this.#metrics[0]!;
    return registry.getSingleMetric(first.name) === first.metric;
  }

  removeFrom(registry: Registry<RegistryContentType>): void {
    for (const { name, metric } of this.#metrics) {
      if (registry.getSingleMetric(name) === metric) registry.removeSingleMetric(name);
    }
  }

  /**
   * One `stats()` snapshot per cache for every metric collected in the same tick: prom-client calls all
   * collect functions of a scrape synchronously, so a scrape sees consistent numbers at the cost of one
   * snapshot per cache.
   */
  snapshot(): Array<[Labels, CacheStats]> {
    if (this.#snapshot === undefined) {
      this.#snapshot = [...this.members.values()].map((m) => [m.labels, m.source.stats()]);
      queueMicrotask(() => {
        this.#snapshot = undefined;
      });
    }
    return this.#snapshot;
  }

  #fill(spec: Spec, put: (labels: Labels, value: number) => void): void {
    for (const [labels, stats] of this.snapshot()) {
      const value = spec.read(stats);
      if (typeof value === 'number') put(labels, value);
      else for (const key in value) put({ ...labels, [spec.by!]: key }, value[key]!);
    }
  }
}

/** A Prometheus summary whose quantiles, sum and count come from the caches' latency histograms. */
class LatencySummary extends Summary {
  readonly #group: CollectorGroup;
  readonly #op: 'get' | 'load';
  readonly #name: string;

  constructor(group: CollectorGroup, op: 'get' | 'load', name: string, help: string, labelNames: string[]) {
    super({ name, help, labelNames, registers: [] });
    this.#group = group;
    this.#op = op;
    this.#name = name;
  }

  override async get(): ReturnType<Summary['get']> {
    const snapshot = this.#group.snapshot();
    const base = await super.get();
    const values: typeof base.values = [];
    for (const [labels, stats] of snapshot) {
      const l = stats.latency[this.#op];
      values.push(
        { labels: { ...labels, quantile: 0.5 }, value: l.p50 / 1000 },
        { labels: { ...labels, quantile: 0.9 }, value: l.p90 / 1000 },
        { labels: { ...labels, quantile: 0.99 }, value: l.p99 / 1000 },
        { labels: { ...labels, quantile: 1 }, value: l.max / 1000 },
        { metricName: `${this.#name}_sum`, labels, value: (l.mean * l.count) / 1000 },
        { metricName: `${this.#name}_count`, labels, value: l.count },
      );
    }
    return { ...base, values };
  }
}

const groups = new WeakMap<Registry<RegistryContentType>, Map<string, CollectorGroup>>();

function validLabels(labels: unknown): Labels {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new TypeError(`Expected \`labels\` to be an object of strings, got ${describe(labels)}`);
  }
  const out: Labels = {};
  for (const [key, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(key) || key.startsWith('__') || RESERVED.includes(key)) {
      throw new InvalidOptionError(
        `Expected label names matching ${LABEL_NAME} without a leading \`__\` and other than ${RESERVED.join(', ')}, got ${describe(key)}`,
      );
    }
    if (typeof value !== 'string') {
      throw new TypeError(`Expected \`labels.${key}\` to be a string, got ${describe(value)}`);
    }
    out[key] = value;
  }
  return out;
}

/**
 * Exports a cache's stats to Prometheus through prom-client (an optional peer dependency), read at
 * scrape time from one `cache.stats()` snapshot: hits and misses (overall and by tier), stale values
 * served by reason, loads, corrupt values, L1 evictions, expirations, entries and bytes, the L2 circuit
 * state, and get/load latency as summaries (quantiles 0.5, 0.9, 0.99 and 1 = max, in seconds).
 *
 * Several caches share one registry: each is a `cache` label value (`name`) of the same metrics. Counters
 * reset when the process restarts, as Prometheus expects.
 *
 * @example
 * import { Registry } from 'prom-client';
 * import { prometheusCollector } from 'stratacache/metrics';
 *
 * const registry = new Registry();
 * const collector = prometheusCollector(cache, { registry, name: 'users', labels: { service: 'api' } });
 * // GET /metrics → res.end(await registry.metrics())
 * collector.unregister();
 */
export function prometheusCollector(
  cache: StatsSource,
  options: PrometheusCollectorOptions = {},
): PrometheusCollector {
  if (typeof (cache as StatsSource | null)?.stats !== 'function') {
    throw new TypeError(`Expected \`cache\` to be a Cache (an object with stats()), got ${describe(cache)}`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object, got ${describe(options)}`);
  }
  assertKnownKeys('options', options, ['registry', 'prefix', 'name', 'labels']);
  const registry = options.registry ?? register;
  for (const method of ['registerMetric', 'getSingleMetric', 'removeSingleMetric'] as const) {
    if (typeof (registry as Partial<Registry> | null)?.[method] !== 'function') {
      throw new TypeError(`Expected \`registry\` to be a prom-client Registry, got ${describe(registry)}`);
    }
  }
  const prefix = options.prefix ?? 'stratacache_';
  if (typeof prefix !== 'string' || (prefix !== '' && !METRIC_PREFIX.test(prefix))) {
    throw new TypeError(
      `Expected \`prefix\` to be a string matching ${METRIC_PREFIX} (or ''), got ${describe(prefix)}`,
    );
  }
  const name = options.name ?? 'default';
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`Expected \`name\` to be a non-empty string, got ${describe(name)}`);
  }
  const labels = options.labels === undefined ? {} : validLabels(options.labels);
  const labelNames = Object.keys(labels).sort();

  let byPrefix = groups.get(registry);
  if (byPrefix === undefined) {
    byPrefix = new Map();
    groups.set(registry, byPrefix);
  }
  let group = byPrefix.get(prefix);
  if (group !== undefined && !group.isRegisteredIn(registry)) group = undefined;
  if (group === undefined) {
    group = new CollectorGroup(registry, prefix, labelNames);
    byPrefix.set(prefix, group);
  } else {
    if (group.labelNames.join() !== labelNames.join()) {
      throw new InvalidOptionError(
        `Expected \`labels\` to have the names of the other caches exported with prefix "${prefix}" (${group.labelNames.join(', ') || 'none'}), got ${labelNames.join(', ') || 'none'}`,
      );
    }
    if (group.members.has(name)) {
      throw new InvalidOptionError(
        `A cache named "${name}" is already exported with prefix "${prefix}"; give each cache its own \`name\``,
      );
    }
  }
  const member = { source: cache, labels: { cache: name, ...labels } };
  group.members.set(name, member);
  const owner = group;
  return {
    unregister() {
      if (owner.members.get(name) !== member) return;
      owner.members.delete(name);
      if (owner.members.size > 0) return;
      owner.removeFrom(registry);
      if (byPrefix.get(prefix) === owner) byPrefix.delete(prefix);
    },
  };
}
