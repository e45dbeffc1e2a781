import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { InvalidOptionError } from '../../../src/errors.js';
import {
  classicBuckets,
  Histogram,
  LATENCY_BOUNDS_MS,
  mergeHistograms,
} from '../../../src/metrics/histogram.js';
import { namespaceOf, trackNamespaces } from '../../../src/metrics/namespace-stats.js';
import { registerOpenTelemetry } from '../../../src/metrics/opentelemetry.js';
import { openTelemetryHistograms } from '../../../src/metrics/opentelemetry-histograms.js';
import { type PrometheusCollector, prometheusCollector } from '../../../src/metrics/prometheus.js';

const awayFromBounds = (v: number): boolean => LATENCY_BOUNDS_MS.every((b) => Math.abs(v - b) / b > 1e-6);

describe('classic buckets from the log-linear histogram', () => {
  it('count exactly the observations below each 2^k µs bound', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 20_000, noNaN: true }).filter(awayFromBounds), { maxLength: 300 }),
        (values) => {
          const h = new Histogram();
          for (const v of values) h.record(v);
          const cumulative = classicBuckets(h.data(), LATENCY_BOUNDS_MS, true);
          LATENCY_BOUNDS_MS.forEach((b, j) => {
            expect(cumulative[j]).toBe(values.filter((v) => v < b).length);
          });
          expect(cumulative.at(-1)).toBe(values.length);
          const perBucket = classicBuckets(h.data(), LATENCY_BOUNDS_MS, false);
          expect(perBucket.reduce((a, b) => a + b, 0)).toBe(values.length);
        },
      ),
    );
  });

  it('merge bucket-wise into the histogram of all observations', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { maxLength: 50 }), { maxLength: 5 }),
        (parts) => {
          const all = new Histogram();
          const data = parts.map((values) => {
            const h = new Histogram();
            for (const v of values) {
              h.record(v);
              all.record(v);
            }
            return h.data();
          });
          const merged = mergeHistograms(data);
          const expected = all.data();
          expect(merged.buckets).toEqual(expected.buckets);
          expect(merged.count).toBe(expected.count);
          expect(merged.max).toBe(expected.max);
          expect(merged.sum).toBeCloseTo(expected.sum, 3);
          expect(Histogram.from(merged).quantile(0.99)).toBe(all.quantile(0.99));
        },
      ),
    );
  });

  it('ignores garbage buckets when adding foreign data', () => {
    const h = Histogram.from({
      count: 3,
      sum: 3,
      max: 1,
      buckets: [
        [-1, 5],
        [1e6, 5],
        [1.5, 2],
        [10, Number.NaN],
        [10, 3],
      ],
    });
    expect(h.data().buckets).toEqual([[10, 3]]);
  });
});

const collectors: PrometheusCollector[] = [];
afterEach(() => {
  for (const c of collectors.splice(0)) c.unregister();
});

/** `name{labels} value` lines of a scrape, for the series whose name is `name`. */
function series(text: string, name: string): Array<{ labels: string; value: number }> {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .map((l) => {
      const i = l.lastIndexOf(' ');
      return { labels: l.slice(name.length, i), value: Number(l.slice(i + 1)) };
    });
}

async function loadTimes(cache: Cache, ms: readonly number[]): Promise<void> {
  let i = 0;
  for (const d of ms) {
    await cache.getOrSet(`k${i++}`, () => new Promise((r) => setTimeout(() => r(d), d)));
  }
}

describe('Prometheus latency histograms (real prom-client registry)', () => {
  it('scrape as cumulative le buckets that sum across instances', async () => {
    const a = new Cache();
    const b = new Cache();
    const registry = new Registry();
    collectors.push(
      prometheusCollector(a, { registry, name: 'a' }),
      prometheusCollector(b, { registry, name: 'b' }),
    );
    // a's 0 ms load resolves on the next timer turn; the others are ≥ 25 ms (timers never fire much early,
    // but a loaded machine may fire them late, so only the lower bounds and a generous ceiling are checked).
    await loadTimes(a, [0, 25]);
    await loadTimes(b, [25, 25, 40]);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE stratacache_load_duration_seconds histogram');
    const buckets = series(text, 'stratacache_load_duration_seconds_bucket');
    const at = (cache: string, le: string): number =>
      buckets.find((s) => s.labels === `{cache="${cache}",le="${le}"}`)!.value;
    // 16.384 ms: a's 0 ms load is below, the 25 ms ones are not; every load is below 1.048576 s.
    expect(at('a', '0.016384')).toBe(1);
    expect(at('b', '0.016384')).toBe(0);
    expect(at('a', '1.048576') + at('b', '1.048576')).toBe(5);
    expect(at('a', '+Inf')).toBe(2);
    expect(at('b', '+Inf')).toBe(3);
    const sum = series(text, 'stratacache_load_duration_seconds_sum');
    expect(sum.find((s) => s.labels === '{cache="b"}')!.value).toBeGreaterThanOrEqual(0.088); // 90 ms of timers, less ~2 % early firing
    expect(text).not.toContain('quantile=');
    await Promise.all([a.close(), b.close()]);
  });

  it("keeps the old summary with latency: 'summary', and one kind per prefix", async () => {
    const cache = new Cache();
    const registry = new Registry();
    collectors.push(prometheusCollector(cache, { registry, latency: 'summary' }));
    await loadTimes(cache, [5]);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE stratacache_load_duration_seconds summary');
    expect(series(text, 'stratacache_load_duration_seconds').map((s) => s.labels)).toContain(
      '{cache="default",quantile="1"}',
    );
    expect(() => prometheusCollector(cache, { registry, name: 'other' })).toThrow(InvalidOptionError);
    expect(() => prometheusCollector(cache, { registry, latency: 'both' as never })).toThrow(
      "Expected `latency` to be 'histogram' or 'summary', got \"both\" (string)",
    );
    await cache.close();
  });

  it('exports hits and misses by namespace from a trackNamespaces source', async () => {
    const cache = new Cache();
    const source = trackNamespaces(cache);
    const registry = new Registry();
    collectors.push(prometheusCollector(source, { registry }));
    const users = cache.namespace('users');
    await users.set('1', 'x');
    await users.get('1');
    await users.get('2');
    await cache.namespace('orders').namespace('eu').get('9');
    await cache.get('root');
    const text = await registry.metrics();
    expect(series(text, 'stratacache_namespace_hits_total')).toEqual([
      { labels: '{cache="default",namespace="users"}', value: 1 },
      { labels: '{cache="default",namespace="orders/eu"}', value: 0 },
      { labels: '{cache="default",namespace="_root"}', value: 0 },
    ]);
    expect(series(text, 'stratacache_namespace_misses_total').map((s) => s.value)).toEqual([1, 1, 1]);
    source.close();
    await cache.close();
  });
});

describe('trackNamespaces', () => {
  it('parses namespaced keys', () => {
    expect(namespaceOf('users@0:42')).toBe('users');
    expect(namespaceOf('a@3:b.c@12:key@1:x')).toBe('a/b.c/key');
    expect(namespaceOf('plain:key')).toBe('_root');
  });

  it('counts at most `max` namespaces apart, the rest under _other, and stops on close', async () => {
    const cache = new Cache();
    const source = trackNamespaces(cache, { max: 2 });
    for (const ns of ['a', 'b', 'c', 'd']) await cache.namespace(ns).get('k');
    expect(source.stats().namespaces).toEqual({
      a: { hits: 0, misses: 1 },
      b: { hits: 0, misses: 1 },
      _other: { hits: 0, misses: 2 },
    });
    source.close();
    await cache.namespace('a').get('k');
    expect(source.stats().namespaces!.a).toEqual({ hits: 0, misses: 1 });
    expect(() => trackNamespaces(cache, { max: 0 })).toThrow('Expected `max`');
    expect(() => trackNamespaces({} as never)).toThrow(TypeError);
    await cache.close();
  });
});

class TestReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

describe('OpenTelemetry histograms (real metrics SDK)', () => {
  it('reach a MetricReader as explicit-bucket histograms next to the counters', async () => {
    const cache = new Cache();
    const reader = new TestReader({ metricProducers: [openTelemetryHistograms(cache, { name: 'users' })] });
    const provider = new MeterProvider({ readers: [reader] });
    const registration = registerOpenTelemetry(cache, provider.getMeter('test'), {
      name: 'users',
      latency: false,
    });
    await loadTimes(cache, [1, 20, 20]);
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    const metrics = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const load = metrics.find((m) => m.descriptor.name === 'stratacache.load.duration')!;
    expect(load.dataPointType).toBe(0); // DataPointType.HISTOGRAM
    expect(metrics.filter((m) => m.descriptor.name === 'stratacache.load.duration')).toHaveLength(1);
    const point = load.dataPoints[0]!;
    expect(point.attributes).toEqual({ cache: 'users' });
    const value = point.value as { buckets: { boundaries: number[]; counts: number[] }; count: number };
    expect(value.count).toBe(3);
    expect(value.buckets.boundaries).toHaveLength(22);
    expect(value.buckets.counts.reduce((a, b) => a + b, 0)).toBe(3);
    const j = value.buckets.boundaries.indexOf(0.016384);
    expect(value.buckets.counts.slice(0, j + 1).reduce((a, b) => a + b, 0)).toBe(1);
    const loads = metrics.find((m) => m.descriptor.name === 'stratacache.loads')!;
    expect(loads.dataPoints[0]!.value).toBe(3);
    registration.unregister();
    await provider.shutdown();
    await cache.close();
  });
});
