import { Counter, Gauge, type OpenMetricsContentType, Registry, register } from 'prom-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { InvalidOptionError } from '../../../src/errors.js';
import { type PrometheusCollector, prometheusCollector } from '../../../src/metrics/prometheus.js';
import type { CacheStats } from '../../../src/metrics/stats.js';
import { ManualClock, sleep } from '../../helpers/clock.js';
import { distinctStats, LOCK_WAITS, LOCK_WAITS_DESCRIPTION, STALE_BY_REASON } from './fixtures.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text exposition format into samples (enough of it for prom-client's output). */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`Unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!;
    }
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample named `name` whose labels are exactly `labels`. */
function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  const found = samples.filter(
    (s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want,
  );
  if (found.length > 1) throw new Error(`Duplicate series ${name} ${want}`);
  return found[0]?.value;
}

const handles: PrometheusCollector[] = [];
function collect(...args: Parameters<typeof prometheusCollector>): PrometheusCollector {
  const handle = prometheusCollector(...args);
  handles.push(handle);
  return handle;
}

afterEach(() => {
  for (const h of handles.splice(0)) h.unregister();
});

/** Drives a cache through hits, misses, loads, coalescing, errors, stale reads and evictions. */
async function activity(cache: Cache, clock: ManualClock): Promise<void> {
  await cache.set('a', 1);
  expect(await cache.get('a')).toBe(1);
  expect(await cache.get('missing')).toBeUndefined();
  const slow = async () => {
    await sleep(5);
    return 'loaded';
  };
  await Promise.all([cache.getOrSet('b', slow), cache.getOrSet('b', slow), cache.getOrSet('b', slow)]);
  await expect(
    cache.getOrSet('c', async () => {
      throw new Error('db down');
    }),
  ).rejects.toThrow('db down');
  await cache.delete('a');
  clock.advance(1500);
  expect(await cache.getOrSet('b', async () => 'fresh')).toBe('loaded');
  await sleep(5);
  for (let i = 0; i < 5; i++) await cache.set(`fill-${i}`, i);
}

describe('prometheusCollector', () => {
  it('exports the stats of a real cache with names, types, labels and values', async () => {
    const clock = new ManualClock();
    const cache = new Cache({
      clock,
      ttl: 1000,
      staleWhileRevalidate: 5000,
      l1: { maxEntries: 4, maxBytes: 1_000_000 },
    });
    const registry = new Registry();
    collect(cache, { registry, name: 'users', labels: { service: 'api' } });
    await activity(cache, clock);

    const text = await registry.metrics();
    const samples = parse(text);
    const l = { cache: 'users', service: 'api' };
    const stats = cache.stats();

    expect(text).toContain('# TYPE stratacache_hits_total counter');
    expect(text).toContain('# TYPE stratacache_l1_entries gauge');
    expect(text).toContain('# TYPE stratacache_get_duration_seconds histogram');
    // get('a') is a hit; get('missing'), getOrSet('b') and getOrSet('c') miss; the stale read is a miss too.
    expect(value(samples, 'stratacache_hits_total', l)).toBe(1);
    expect(value(samples, 'stratacache_misses_total', l)).toBe(stats.misses);
    expect(stats.misses).toBeGreaterThanOrEqual(4);
    expect(value(samples, 'stratacache_tier_hits_total', { ...l, tier: 'l1' })).toBe(1);
    expect(value(samples, 'stratacache_tier_hits_total', { ...l, tier: 'l2' })).toBe(0);
    expect(value(samples, 'stratacache_tier_misses_total', { ...l, tier: 'l1' })).toBe(stats.tiers.l1.misses);
    expect(value(samples, 'stratacache_stale_served_total', { ...l, reason: 'swr' })).toBe(1);
    expect(value(samples, 'stratacache_stale_served_total', { ...l, reason: 'fail_safe' })).toBe(0);
    expect(value(samples, 'stratacache_stale_served_total', { ...l, reason: 'soft_timeout' })).toBe(0);
    expect(value(samples, 'stratacache_stale_served_total', { ...l, reason: 'lock_wait' })).toBe(0);
    // Six set() calls and two values written by loads (the first load of 'b' and its refresh).
    expect(value(samples, 'stratacache_sets_total', l)).toBe(8);
    expect(value(samples, 'stratacache_deletes_total', l)).toBe(1);
    // 'b' once, 'c' once, and the background refresh of 'b'.
    expect(value(samples, 'stratacache_loads_total', l)).toBe(3);
    expect(value(samples, 'stratacache_load_errors_total', l)).toBe(1);
    expect(value(samples, 'stratacache_load_timeouts_total', l)).toBe(0);
    expect(value(samples, 'stratacache_loads_coalesced_total', l)).toBe(2);
    expect(value(samples, 'stratacache_refreshes_total', l)).toBe(1);
    expect(value(samples, 'stratacache_lock_waits_total', l)).toBe(0);
    expect(value(samples, 'stratacache_corrupt_total', l)).toBe(0);
    expect(value(samples, 'stratacache_l1_evictions_total', l)).toBe(stats.evictions);
    expect(stats.evictions).toBeGreaterThan(0);
    expect(value(samples, 'stratacache_l1_expirations_total', l)).toBe(stats.expirations);
    expect(value(samples, 'stratacache_l1_entries', l)).toBe(stats.entries);
    expect(stats.entries).toBe(4);
    expect(value(samples, 'stratacache_l1_bytes', l)).toBe(stats.bytes);
    expect(stats.bytes).toBeGreaterThan(0);
    expect(value(samples, 'stratacache_l2_circuit_open', l)).toBe(0);

    const get = stats.latency.get;
    expect(get.count).toBeGreaterThan(0);
    expect(value(samples, 'stratacache_get_duration_seconds_count', l)).toBe(get.count);
    expect(value(samples, 'stratacache_get_duration_seconds_sum', l)).toBeCloseTo(
      (get.mean * get.count) / 1000,
      9,
    );
    // A histogram: exact cumulative buckets, the last one (+Inf) holding every observation.
    expect(value(samples, 'stratacache_get_duration_seconds_bucket', { ...l, le: '+Inf' })).toBe(get.count);
    const le = samples
      .filter((x) => x.name === 'stratacache_get_duration_seconds_bucket' && x.labels.le !== '+Inf')
      .map((x) => x.value);
    expect(le).toHaveLength(22);
    for (let i = 1; i < le.length; i++) expect(le[i]!).toBeGreaterThanOrEqual(le[i - 1]!);
    const load = stats.latency.load;
    expect(value(samples, 'stratacache_load_duration_seconds_count', l)).toBe(load.count);
    // The slow loader slept 5 ms, so at least one load is above the 4.096 ms bucket.
    expect(value(samples, 'stratacache_load_duration_seconds_bucket', { ...l, le: '0.004096' })).toBeLessThan(
      load.count,
    );
    await cache.close();
  });

  it('follows the cache between scrapes: counters grow, gauges move both ways', async () => {
    const cache = new Cache();
    const registry = new Registry();
    collect(cache, { registry });
    const l = { cache: 'default' };
    await cache.set('k', 1);
    expect(value(parse(await registry.metrics()), 'stratacache_l1_entries', l)).toBe(1);
    for (let i = 0; i < 7; i++) await cache.get('k');
    let samples = parse(await registry.metrics());
    expect(value(samples, 'stratacache_hits_total', l)).toBe(7);
    await cache.delete('k');
    await cache.get('k');
    samples = parse(await registry.metrics());
    expect(value(samples, 'stratacache_hits_total', l)).toBe(7);
    expect(value(samples, 'stratacache_misses_total', l)).toBe(1);
    expect(value(samples, 'stratacache_l1_entries', l)).toBe(0);
    await cache.close();
  });

  it('takes one stats() snapshot per cache per scrape', async () => {
    const cache = new Cache();
    let calls = 0;
    const source = {
      stats: (): CacheStats => {
        calls++;
        return cache.stats();
      },
    };
    const registry = new Registry();
    collect(source, { registry });
    await registry.metrics();
    expect(calls).toBe(1);
    await registry.getMetricsAsJSON();
    expect(calls).toBe(2);
    await registry.getSingleMetricAsString('stratacache_hits_total');
    expect(calls).toBe(3);
    await cache.close();
  });

  it('exports several caches in one registry under a `cache` label and unregisters each', async () => {
    const a = new Cache();
    const b = new Cache();
    const registry = new Registry();
    const ha = collect(a, { registry, name: 'a' });
    const hb = collect(b, { registry, name: 'b' });
    await a.set('x', 1);
    await a.get('x');
    await b.get('nope');
    let samples = parse(await registry.metrics());
    expect(value(samples, 'stratacache_hits_total', { cache: 'a' })).toBe(1);
    expect(value(samples, 'stratacache_hits_total', { cache: 'b' })).toBe(0);
    expect(value(samples, 'stratacache_misses_total', { cache: 'b' })).toBe(1);

    ha.unregister();
    ha.unregister();
    samples = parse(await registry.metrics());
    expect(samples.some((s) => s.labels.cache === 'a')).toBe(false);
    expect(value(samples, 'stratacache_misses_total', { cache: 'b' })).toBe(1);

    // The name is free again once unregistered.
    const again = collect(a, { registry, name: 'a' });
    expect(value(parse(await registry.metrics()), 'stratacache_hits_total', { cache: 'a' })).toBe(1);
    again.unregister();
    hb.unregister();
    expect(registry.getMetricsAsArray()).toHaveLength(0);
    expect(await registry.metrics()).toBe('\n');
    await Promise.all([a.close(), b.close()]);
  });

  it('keeps prefixes apart and leaves foreign metrics alone', async () => {
    const cache = new Cache();
    const registry = new Registry();
    registry.registerMetric(new Gauge({ name: 'app_up', help: 'up', registers: [] }));
    const one = collect(cache, { registry });
    const two = collect(cache, { registry, prefix: 'edge_', labels: { region: 'eu' } });
    await cache.get('k');
    const samples = parse(await registry.metrics());
    expect(value(samples, 'stratacache_misses_total', { cache: 'default' })).toBe(1);
    expect(value(samples, 'edge_misses_total', { cache: 'default', region: 'eu' })).toBe(1);
    one.unregister();
    two.unregister();
    expect(registry.getMetricsAsArray().map((m) => m.name)).toEqual(['app_up']);
    await cache.close();
  });

  it('renders counters the OpenMetrics way on an OpenMetrics registry', async () => {
    const cache = new Cache();
    const registry = new Registry<OpenMetricsContentType>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const handle = collect(cache, { registry });
    await cache.get('k');
    const text = await registry.metrics();
    expect(text).toContain('# TYPE stratacache_misses counter');
    expect(text).toContain('stratacache_misses_total{cache="default"} 1');
    expect(text.endsWith('# EOF\n')).toBe(true);
    handle.unregister();
    expect(registry.getMetricsAsArray()).toHaveLength(0);
    await cache.close();
  });

  it('registers again after registry.clear() dropped its metrics', async () => {
    const cache = new Cache();
    const registry = new Registry();
    collect(cache, { registry });
    registry.clear();
    collect(cache, { registry });
    await cache.get('k');
    expect(value(parse(await registry.metrics()), 'stratacache_misses_total', { cache: 'default' })).toBe(1);
    await cache.close();
  });

  it("uses prom-client's global registry by default", async () => {
    const cache = new Cache();
    const handle = collect(cache);
    await cache.get('k');
    expect(value(parse(await register.metrics()), 'stratacache_misses_total', { cache: 'default' })).toBe(1);
    handle.unregister();
    expect(register.getSingleMetric('stratacache_misses_total')).toBeUndefined();
    await cache.close();
  });

  it('exports every stale reason and the lease waits from the stats fields they name', async () => {
    const cache = new Cache();
    const registry = new Registry();
    collect(distinctStats(cache), { registry });
    const text = await registry.metrics();
    const samples = parse(text);
    const stale = samples.filter((s) => s.name === 'stratacache_stale_served_total');
    expect(Object.fromEntries(stale.map((s) => [s.labels.reason, s.value]))).toEqual(STALE_BY_REASON);
    expect(value(samples, 'stratacache_lock_waits_total', { cache: 'default' })).toBe(LOCK_WAITS);
    expect(text).toContain(`# HELP stratacache_lock_waits_total ${LOCK_WAITS_DESCRIPTION}`);
    await cache.close();
  });

  it('reports an open L2 circuit as 1', async () => {
    const cache = new Cache();
    const open = { stats: () => ({ ...cache.stats(), l2CircuitOpen: true }) };
    const registry = new Registry();
    collect(open, { registry });
    expect(value(parse(await registry.metrics()), 'stratacache_l2_circuit_open', { cache: 'default' })).toBe(
      1,
    );
    await cache.close();
  });

  describe('rejects bad arguments', () => {
    const registry = new Registry();
    const real = new Cache();
    const cache = { stats: () => real.stats() };
    afterAll(() => real.close());

    it('a cache without stats()', () => {
      expect(() => prometheusCollector({} as Cache, { registry })).toThrow(
        'Expected `cache` to be a Cache (an object with stats()), got an object',
      );
      expect(() => prometheusCollector(null as unknown as Cache)).toThrow(TypeError);
    });

    it('options of the wrong shape', () => {
      expect(() => prometheusCollector(cache, 5 as never)).toThrow(
        'Expected `options` to be an object, got `5` (number)',
      );
      expect(() => prometheusCollector(cache, { registry, prefx: 'x_' } as never)).toThrow(
        InvalidOptionError,
      );
      expect(() => prometheusCollector(cache, { registry: {} as Registry })).toThrow(
        'Expected `registry` to be a prom-client Registry, got an object',
      );
    });

    it('a prefix that is not a metric name', () => {
      expect(() => prometheusCollector(cache, { registry, prefix: '9x_' })).toThrow(
        'Expected `prefix` to be a string matching',
      );
      expect(() => prometheusCollector(cache, { registry, prefix: 'a-b' })).toThrow(TypeError);
      expect(() => prometheusCollector(cache, { registry, prefix: 1 as never })).toThrow(TypeError);
    });

    it('a bad name', () => {
      expect(() => prometheusCollector(cache, { registry, name: '' })).toThrow(
        'Expected `name` to be a non-empty string, got "" (string)',
      );
    });

    it('bad or reserved labels', () => {
      expect(() => prometheusCollector(cache, { registry, labels: ['x'] as never })).toThrow(TypeError);
      for (const bad of ['a-b', '__x', 'cache', 'tier', 'quantile', '1a']) {
        expect(() => prometheusCollector(cache, { registry, labels: { [bad]: 'v' } })).toThrow(
          InvalidOptionError,
        );
      }
      expect(() => prometheusCollector(cache, { registry, labels: { service: 1 as never } })).toThrow(
        'Expected `labels.service` to be a string, got `1` (number)',
      );
      expect(registry.getMetricsAsArray()).toHaveLength(0);
    });

    it('a second cache with the same name or other label names under one prefix', () => {
      const own = new Registry();
      const h = prometheusCollector(cache, { registry: own, labels: { service: 'api' } });
      expect(() => prometheusCollector(cache, { registry: own, labels: { service: 'web' } })).toThrow(
        'A cache named "default" is already exported with prefix "stratacache_"',
      );
      expect(() =>
        prometheusCollector(cache, { registry: own, name: 'b', labels: { region: 'eu' } }),
      ).toThrow(
        'Expected `labels` to have the names of the other caches exported with prefix "stratacache_" (service), got region',
      );
      h.unregister();
    });

    it('a metric name already taken in the registry', () => {
      const foreign = new Registry();
      foreign.registerMetric(new Counter({ name: 'stratacache_hits_total', help: 'mine', registers: [] }));
      expect(() => prometheusCollector(cache, { registry: foreign })).toThrow(
        'A metric named `stratacache_hits_total` is already registered in this registry; choose another `prefix`',
      );
      expect(foreign.getMetricsAsArray()).toHaveLength(1);
    });
  });
});
