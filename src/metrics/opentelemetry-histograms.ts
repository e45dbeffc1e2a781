import type { Attributes, HrTime, ValueType } from '@opentelemetry/api';
import { assertKnownKeys, describe } from '../internal/asserts.js';
import { type LatencyMetric, METRICS, type StatsSource } from './catalog.js';
import { classicBuckets, LATENCY_BOUNDS_MS } from './histogram.js';
import { validAttributes } from './opentelemetry.js';

/** Options of {@link openTelemetryHistograms}. */
export interface OpenTelemetryHistogramsOptions {
  /** Prefix of every metric name. @default 'stratacache.' */
  prefix?: string;
  /** Value of the `cache` attribute, which tells apart caches reporting to one reader. @default 'default' */
  name?: string;
  /** Constant attributes added to every data point of this cache. */
  attributes?: Attributes;
}

/** One explicit-bucket histogram data point, in the shape of `@opentelemetry/sdk-metrics`. */
export interface HistogramDataPoint {
  startTime: HrTime;
  endTime: HrTime;
  attributes: Attributes;
  value: {
    buckets: { boundaries: number[]; counts: number[] };
    sum: number;
    count: number;
    min?: number;
    max: number;
  };
}

/** The collection result of {@link openTelemetryHistograms}, structurally the SDK's `CollectionResult`. */
export interface HistogramCollection {
  resourceMetrics: {
    /** Never read: a `MetricReader` keeps its own resource for what its producers return. */
    resource: never;
    scopeMetrics: Array<{
      scope: { name: string; version?: string };
      metrics: Array<{
        descriptor: { name: string; description: string; unit: string; valueType: ValueType };
        /** `AggregationTemporality.CUMULATIVE`. */
        aggregationTemporality: 1;
        /** `DataPointType.HISTOGRAM`. */
        dataPointType: 0;
        dataPoints: HistogramDataPoint[];
      }>;
    }>;
  };
  errors: unknown[];
}

/** A metric producer for an OpenTelemetry `MetricReader` (its `metricProducers` option). */
export interface HistogramProducer {
  collect(): Promise<HistogramCollection>;
}

const LATENCIES = METRICS.filter((m): m is LatencyMetric => m.kind === 'latency');
const BOUNDS_S = LATENCY_BOUNDS_MS.map((ms) => ms / 1000);
const DOUBLE = 1 as ValueType.DOUBLE;

function hrTime(ms: number): HrTime {
  const s = Math.floor(ms / 1000);
  return [s, Math.round((ms - s * 1000) * 1e6)];
}

/**
 * The cache's get and load latencies as OpenTelemetry **histograms** with explicit buckets (2^k µs from
 * 4 µs to 8.39 s, in seconds; cumulative), built from the cache's internal histograms at each collection.
 * The OpenTelemetry API has no asynchronous histogram instrument, so this is a metric producer for the
 * SDK (`@opentelemetry/sdk-metrics`): pass it in a reader's `metricProducers`. Backends can aggregate its
 * buckets across instances, unlike the quantile gauges of {@link registerOpenTelemetry} (turn those off
 * with its `latency: false` to avoid two metrics of one name).
 *
 * @example
 * import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
 * const reader = new PeriodicExportingMetricReader({ exporter, metricProducers: [openTelemetryHistograms(cache)] });
 */
export function openTelemetryHistograms(
  cache: StatsSource,
  options: OpenTelemetryHistogramsOptions = {},
): HistogramProducer {
  if (typeof (cache as StatsSource | null)?.stats !== 'function') {
    throw new TypeError(`Expected \`cache\` to be a Cache (an object with stats()), got ${describe(cache)}`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object, got ${describe(options)}`);
  }
  assertKnownKeys('options', options, ['prefix', 'name', 'attributes']);
  const prefix = options.prefix ?? 'stratacache.';
  if (typeof prefix !== 'string')
    throw new TypeError(`Expected \`prefix\` to be a string, got ${describe(prefix)}`);
  const name = options.name ?? 'default';
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`Expected \`name\` to be a non-empty string, got ${describe(name)}`);
  }
  const attributes: Attributes = {
    cache: name,
    ...(options.attributes === undefined ? {} : validAttributes(options.attributes)),
  };
  const startTime = hrTime(Date.now());
  return {
    collect() {
      const stats = cache.stats();
      const endTime = hrTime(Date.now());
      const metrics = LATENCIES.map((spec) => {
        const h = spec.read(stats).histogram;
        const point: HistogramDataPoint = {
          startTime,
          endTime,
          attributes,
          value: {
            buckets: { boundaries: [...BOUNDS_S], counts: classicBuckets(h, LATENCY_BOUNDS_MS, false) },
            sum: h.sum / 1000,
            count: h.count,
            max: h.max / 1000,
          },
        };
        return {
          descriptor: {
            name: prefix + spec.name,
            description: spec.description,
            unit: 's',
            valueType: DOUBLE,
          },
          aggregationTemporality: 1 as const,
          dataPointType: 0 as const,
          dataPoints: [point],
        };
      });
      return Promise.resolve({
        resourceMetrics: {
          resource: undefined as never,
          scopeMetrics: [{ scope: { name: 'stratacache' }, metrics }],
        },
        errors: [],
      });
    },
  };
}
