import {
  Counter,
  Gauge,
  Histogram as PromHistogram,
  type Registry,
  type RegistryContentType,
  register,
  Summary,
} from 'prom-client';
import { InvalidOptionError } from '../errors.js';
import { assertKnownKeys, describe } from '../internal/asserts.js';
import {
  type LatencyMetric,
  METRICS,
  type Metric,
  prometheusName,
  QUANTILES,
  RESERVED_LABELS,
  type StatsSource,
  type ValueMetric,
} from './catalog.js';
import { classicBuckets, LATENCY_BOUNDS_MS } from './histogram.js';
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
  /**
   * How latencies are exported: `'histogram'` (classic buckets `le` = 2^k µs from 4 µs to 8.39 s, plus
   * `_sum` and `_count`; aggregatable across instances with `histogram_quantile`), or `'summary'` (the
   * quantiles 0.5, 0.9, 0.99 and 1 of this process, as before 0.2; deprecated, removed in the next
   * release). Caches sharing a prefix must use the same kind. @default 'histogram'
   */
  latency?: 'histogram' | 'summary';
}

/** What {@link prometheusCollector} returns. */
export interface PrometheusCollector {
  /** Stops exporting this cache; the metrics leave the registry with the last cache using them. Idempotent. */
  unregister(): void;
}

type Labels = Record<string, string>;

const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The caches exporting under one prefix of one registry; they share the metric objects. */
class CollectorGroup {
  readonly labelNames: readonly string[];
  readonly latency: 'histogram' | 'summary';
  readonly members = new Map<string, { source: StatsSource; labels: Labels }>();
  readonly #metrics: ReadonlyArray<{ name: string; metric: Counter | Gauge | Summary | PromHistogram }>;
  #snapshot: Array<[Labels, CacheStats]> | undefined;

  constructor(
    registry: Registry<RegistryContentType>,
    prefix: string,
    labelNames: readonly string[],
    latency: 'histogram' | 'summary',
  ) {
    this.labelNames = labelNames;
    this.latency = latency;
    const all = ['cache', ...labelNames];
    const names = METRICS.map((spec) => prefix + prometheusName(spec));
    for (const name of names) {
      if (registry.getSingleMetric(name) !== undefined) {
        throw new InvalidOptionError(
          `A metric named \`${name}\` is already registered in this registry; choose another \`prefix\``,
        );
      }
    }
    this.#metrics = METRICS.map((spec, i) => ({
      name: names[i]!,
      metric: this.#create(spec, names[i]!, all),
    }));
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

  #create(spec: Metric, name: string, common: string[]): Counter | Gauge | Summary | PromHistogram {
    if (spec.kind === 'latency') {
      return this.latency === 'summary'
        ? new LatencySummary(this, spec, name, common)
        : new LatencyHistogram(this, spec, name, common);
    }
    // Every collection starts from a reset, so adding the value sets a gauge as well as a counter.
    const config = {
      name,
      help: spec.description,
      labelNames: spec.by === undefined ? common : [...common, spec.by],
      registers: [],
      collect: () => {
        metric.reset();
        this.#fill(spec, (labels, value) => metric.inc(labels, value));
      },
    };
    const metric: Counter | Gauge = spec.kind === 'counter' ? new Counter(config) : new Gauge(config);
    return metric;
  }

  #fill(spec: ValueMetric, put: (labels: Labels, value: number) => void): void {
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
  readonly #spec: LatencyMetric;
  readonly #name: string;

  constructor(group: CollectorGroup, spec: LatencyMetric, name: string, labelNames: string[]) {
    super({ name, help: spec.description, labelNames, registers: [] });
    this.#group = group;
    this.#spec = spec;
    this.#name = name;
  }

  override async get(): ReturnType<Summary['get']> {
    const snapshot = this.#group.snapshot();
    const base = await super.get();
    const values: typeof base.values = [];
    for (const [labels, stats] of snapshot) {
      const l = this.#spec.read(stats);
      for (const [quantile, field] of QUANTILES) {
        values.push({ labels: { ...labels, quantile: Number(quantile) }, value: l[field] / 1000 });
      }
      values.push(
        { metricName: `${this.#name}_sum`, labels, value: (l.mean * l.count) / 1000 },
        { metricName: `${this.#name}_count`, labels, value: l.count },
      );
    }
    return { ...base, values };
  }
}

/** prom-client's `Histogram#getForPromString` (untyped there), which `get` and the registry call. */
const promExposition = (
  PromHistogram.prototype as unknown as {
    getForPromString(this: PromHistogram): ReturnType<PromHistogram['get']>;
  }
).getForPromString;

/** The bucket bounds exported as `le`, in seconds. */
const LE_SECONDS = LATENCY_BOUNDS_MS.map((ms) => ms / 1000);

/**
 * A Prometheus histogram whose buckets, sum and count come from the caches' latency histograms: each `le`
 * is the edge of an internal bucket, so the counts are exact (no interpolation).
 */
class LatencyHistogram extends PromHistogram {
  readonly #group: CollectorGroup;
  readonly #spec: LatencyMetric;
  readonly #name: string;

  constructor(group: CollectorGroup, spec: LatencyMetric, name: string, labelNames: string[]) {
    super({ name, help: spec.description, labelNames, buckets: LE_SECONDS, registers: [] });
    this.#group = group;
    this.#spec = spec;
    this.#name = name;
  }

  override async get(): ReturnType<PromHistogram['get']> {
    const snapshot = this.#group.snapshot();
    const values: Awaited<ReturnType<PromHistogram['get']>>['values'] = [];
    const bucket = `${this.#name}_bucket`;
    for (const [labels, stats] of snapshot) {
      const h = this.#spec.read(stats).histogram;
      const counts = classicBuckets(h, LATENCY_BOUNDS_MS, true);
      for (let j = 0; j < LE_SECONDS.length; j++) {
        values.push({ metricName: bucket, labels: { ...labels, le: LE_SECONDS[j]! }, value: counts[j]! });
      }
      values.push(
        { metricName: bucket, labels: { ...labels, le: '+Inf' }, value: h.count },
        { metricName: `${this.#name}_sum`, labels, value: h.sum / 1000 },
        { metricName: `${this.#name}_count`, labels, value: h.count },
      );
    }
    // prom-client's own exposition (name, help, type; no values: nothing is observed) around ours.
    const base = await promExposition.call(this);
    return { ...base, values };
  }

  // The text exposition reads this one; the same values, with every label on the sample.
  getForPromString(): ReturnType<PromHistogram['get']> {
    return this.get();
  }
}

const groups = new WeakMap<Registry<RegistryContentType>, Map<string, CollectorGroup>>();

function validLabels(labels: unknown): Labels {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new TypeError(`Expected \`labels\` to be an object of strings, got ${describe(labels)}`);
  }
  const out: Labels = {};
  for (const [key, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(key) || key.startsWith('__') || RESERVED_LABELS.includes(key)) {
      throw new InvalidOptionError(
        `Expected label names matching ${LABEL_NAME} without a leading \`__\` and other than ${RESERVED_LABELS.join(', ')}, got ${describe(key)}`,
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
 * state, hits and misses by namespace (with a `trackNamespaces` source), and get/load latency as
 * histograms in seconds (classic buckets; `latency: 'summary'` keeps the old quantiles for one release).
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
  assertKnownKeys('options', options, ['registry', 'prefix', 'name', 'labels', 'latency']);
  const latency = options.latency ?? 'histogram';
  if (latency !== 'histogram' && latency !== 'summary') {
    throw new TypeError(`Expected \`latency\` to be 'histogram' or 'summary', got ${describe(latency)}`);
  }
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
    group = new CollectorGroup(registry, prefix, labelNames, latency);
    byPrefix.set(prefix, group);
  } else {
    if (group.latency !== latency) {
      throw new InvalidOptionError(
        `Expected \`latency\` to be '${group.latency}' like the other caches exported with prefix "${prefix}", got '${latency}'`,
      );
    }
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
