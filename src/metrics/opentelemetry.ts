import type {
  Attributes,
  BatchObservableCallback,
  Meter,
  Observable,
  ObservableCounter,
  ObservableGauge,
  ObservableUpDownCounter,
} from '@opentelemetry/api';
import type { Cache } from '../cache.js';
import { InvalidOptionError } from '../errors.js';
import { assertKnownKeys, describe } from '../internal/asserts.js';
import type { CacheStats } from './stats.js';

/** Options of {@link registerOpenTelemetry}. */
export interface OpenTelemetryOptions {
  /** Prefix of every instrument name. @default 'stratacache.' */
  prefix?: string;
  /** Value of the `cache` attribute, which tells apart caches reporting to one meter. @default 'default' */
  name?: string;
  /** Constant attributes added to every measurement of this cache. */
  attributes?: Attributes;
}

/** What {@link registerOpenTelemetry} returns. */
export interface OpenTelemetryRegistration {
  /** Stops reporting this cache (the instruments stay on the meter, without measurements). Idempotent. */
  unregister(): void;
}

type StatsSource = Pick<Cache, 'stats'>;
type Kind = 'counter' | 'updown' | 'gauge';

interface Spec {
  kind: Kind;
  name: string;
  description: string;
  unit: string;
  /** Name of the attribute that splits the measurements, when `read` returns one value per attribute value. */
  by?: string;
  read: (s: CacheStats) => number | Record<string, number>;
}

const quantiles = (l: CacheStats['latency']['get']): Record<string, number> => ({
  '0.5': l.p50 / 1000,
  '0.9': l.p90 / 1000,
  '0.99': l.p99 / 1000,
  '1': l.max / 1000,
});

const SPECS: readonly Spec[] = [
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
    read: (s) => ({ swr: s.stale.swr, fail_safe: s.stale.failSafe, soft_timeout: s.stale.softTimeout }),
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
    description: 'Loads skipped because a distributed lock holder produced the value.',
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
    description: '1 while the L2 circuit breaker is open, else 0.',
    unit: '1',
    read: (s) => (s.l2CircuitOpen ? 1 : 0),
  },
  {
    kind: 'gauge',
    name: 'get.duration',
    description: 'Latency quantiles of reads (L1 hits are sampled 1 in 16); quantile 1 is the max.',
    unit: 's',
    by: 'quantile',
    read: (s) => quantiles(s.latency.get),
  },
  {
    kind: 'gauge',
    name: 'load.duration',
    description: 'Latency quantiles of loader calls; quantile 1 is the max.',
    unit: 's',
    by: 'quantile',
    read: (s) => quantiles(s.latency.load),
  },
];

const RESERVED = ['cache', 'tier', 'reason', 'quantile'];
const INSTRUMENT_PREFIX = /^[A-Za-z][A-Za-z0-9_.\-/]*$/;
const METER_METHODS = [
  'createObservableCounter',
  'createObservableUpDownCounter',
  'createObservableGauge',
  'addBatchObservableCallback',
  'removeBatchObservableCallback',
] as const;

function validAttributes(attributes: unknown): Attributes {
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
    throw new TypeError(`Expected \`attributes\` to be an object, got ${describe(attributes)}`);
  }
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (RESERVED.includes(key)) {
      throw new InvalidOptionError(
        `Expected attribute names other than ${RESERVED.join(', ')} (use \`name\` for the cache), got ${describe(key)}`,
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
 * (L1 entries and bytes) and gauges (L2 circuit state, get/load latency quantiles in seconds). One batch
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
  assertKnownKeys('options', options, ['prefix', 'name', 'attributes']);
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

  const instruments = SPECS.map((spec) => {
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
