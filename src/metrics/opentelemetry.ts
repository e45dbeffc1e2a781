import type {
  Attributes,
  BatchObservableCallback,
  Meter,
  Observable,
  ObservableCounter,
  ObservableGauge,
  ObservableUpDownCounter,
} from '@opentelemetry/api';
import { InvalidOptionError } from '../errors.js';
import { assertKnownKeys, describe } from '../internal/asserts.js';
import { METRICS, QUANTILES, RESERVED_LABELS, type StatsSource } from './catalog.js';
import type { CacheStats } from './stats.js';

/** Options of {@link registerOpenTelemetry}. */
export interface OpenTelemetryOptions {
  /** Prefix of every instrument name. @default 'stratacache.' */
  prefix?: string;
  /** Value of the `cache` attribute, which tells apart caches reporting to one meter. @default 'default' */
  name?: string;
  /** Constant attributes added to every measurement of this cache. */
  attributes?: Attributes;
  /**
   * Report get/load latency quantiles (0.5, 0.9, 0.99, 1 = max) as gauges with a `quantile` attribute.
   * They cannot be aggregated across instances: prefer the histograms of `openTelemetryHistograms` and
   * set this to false (the default turns false in the next release). @default true
   */
  latency?: boolean;
}

/** What {@link registerOpenTelemetry} returns. */
export interface OpenTelemetryRegistration {
  /** Stops reporting this cache (the instruments stay on the meter, without measurements). Idempotent. */
  unregister(): void;
}

/** An OpenTelemetry instrument fed from the catalog; latencies become gauges with a `quantile` attribute. */
interface Instrument {
  kind: 'counter' | 'updown' | 'gauge';
  name: string;
  description: string;
  unit: string;
  by: string | undefined;
  read: (s: CacheStats) => number | Record<string, number>;
}

const INSTRUMENTS: readonly Instrument[] = METRICS.map((metric) => {
  const { kind, name, description, unit, read } = metric;
  if (kind !== 'latency') return { kind, name, description, unit, by: metric.by, read };
  return {
    kind: 'gauge',
    name,
    description,
    unit,
    by: 'quantile',
    read: (s) => {
      const l = read(s);
      return Object.fromEntries(QUANTILES.map(([quantile, field]) => [quantile, l[field] / 1000]));
    },
  };
});

const INSTRUMENT_PREFIX = /^[A-Za-z][A-Za-z0-9_.\-/]*$/;
const METER_METHODS = [
  'createObservableCounter',
  'createObservableUpDownCounter',
  'createObservableGauge',
  'addBatchObservableCallback',
  'removeBatchObservableCallback',
] as const;

/** Checks user attributes: an object of strings, numbers and booleans, none with a reserved name. */
export function validAttributes(attributes: unknown): Attributes {
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
    throw new TypeError(`Expected \`attributes\` to be an object, got ${describe(attributes)}`);
  }
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (RESERVED_LABELS.includes(key)) {
      throw new InvalidOptionError(
        `Expected attribute names other than ${RESERVED_LABELS.join(', ')} (use \`name\` for the cache), got ${describe(key)}`,
      );
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new TypeError(
        `Expected \`attributes.${key}\` to be a string, number or boolean, got ${describe(value)}`,
      );
    }
    out[key] = value;
  }
  return out;
}

/**
 * Reports a cache's stats through an OpenTelemetry `Meter` (`@opentelemetry/api`, an optional peer
 * dependency) as observable instruments: cumulative counters (hits, misses, per-tier hits and misses,
 * stale values served by reason, loads, corrupt values, L1 evictions and expirations), up-down counters
 * (L1 entries and bytes), counters by namespace (with a `trackNamespaces` source) and gauges (L2 circuit
 * state, get/load latency quantiles in seconds; see `openTelemetryHistograms` for histograms). One batch
 * callback reads **one** `cache.stats()` snapshot per collection, so the instruments are consistent.
 *
 * @example
 * import { metrics } from '@opentelemetry/api';
 * import { registerOpenTelemetry } from 'stratacache/metrics';
 *
 * const registration = registerOpenTelemetry(cache, metrics.getMeter('my-service'), { name: 'users' });
 * // ... on shutdown
 * registration.unregister();
 */
export function registerOpenTelemetry(
  cache: StatsSource,
  meter: Meter,
  options: OpenTelemetryOptions = {},
): OpenTelemetryRegistration {
  if (typeof (cache as StatsSource | null)?.stats !== 'function') {
    throw new TypeError(`Expected \`cache\` to be a Cache (an object with stats()), got ${describe(cache)}`);
  }
  for (const method of METER_METHODS) {
    if (typeof (meter as Partial<Meter> | null)?.[method] !== 'function') {
      throw new TypeError(
        `Expected \`meter\` to be an OpenTelemetry Meter (metrics.getMeter()), got ${describe(meter)}`,
      );
    }
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object, got ${describe(options)}`);
  }
  assertKnownKeys('options', options, ['prefix', 'name', 'attributes', 'latency']);
  const latency = options.latency ?? true;
  if (typeof latency !== 'boolean') {
    throw new TypeError(`Expected \`latency\` to be a boolean, got ${describe(latency)}`);
  }
  const prefix = options.prefix ?? 'stratacache.';
  if (typeof prefix !== 'string' || (prefix !== '' && !INSTRUMENT_PREFIX.test(prefix))) {
    throw new TypeError(
      `Expected \`prefix\` to be a string matching ${INSTRUMENT_PREFIX} (or ''), got ${describe(prefix)}`,
    );
  }
  const name = options.name ?? 'default';
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`Expected \`name\` to be a non-empty string, got ${describe(name)}`);
  }
  const base: Attributes = {
    cache: name,
    ...(options.attributes === undefined ? {} : validAttributes(options.attributes)),
  };

  const specs = latency ? INSTRUMENTS : INSTRUMENTS.filter((i) => i.by !== 'quantile');
  const instruments = specs.map((spec) => {
    const opts = { description: spec.description, unit: spec.unit };
    const id = prefix + spec.name;
    const instrument: ObservableCounter | ObservableUpDownCounter | ObservableGauge =
      spec.kind === 'counter'
        ? meter.createObservableCounter(id, opts)
        : spec.kind === 'updown'
          ? meter.createObservableUpDownCounter(id, opts)
          : meter.createObservableGauge(id, opts);
    const attributes = new Map<string, Attributes>();
    return { spec, instrument, attributes };
  });
  const observables: Observable[] = instruments.map((i) => i.instrument);

  const callback: BatchObservableCallback = (result) => {
    const stats = cache.stats();
    for (const { spec, instrument, attributes } of instruments) {
      const value = spec.read(stats);
      if (typeof value === 'number') {
        result.observe(instrument, value, base);
        continue;
      }
      for (const key in value) {
        let attrs = attributes.get(key);
        if (attrs === undefined) {
          attrs = { ...base, [spec.by!]: key };
          attributes.set(key, attrs);
        }
        result.observe(instrument, value[key]!, attrs);
      }
    }
  };
  meter.addBatchObservableCallback(callback, observables);

  let registered = true;
  return {
    unregister() {
      if (!registered) return;
      registered = false;
      meter.removeBatchObservableCallback(callback, observables);
    },
  };
}
