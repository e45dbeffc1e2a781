import {
  type Attributes,
  type BatchObservableCallback,
  createNoopMeter,
  type Meter,
  type MetricOptions,
  metrics,
  type Observable,
} from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { InvalidOptionError } from '../../../src/errors.js';
import { registerOpenTelemetry } from '../../../src/metrics/index.js';
import type { CacheStats } from '../../../src/metrics/stats.js';
import { ManualClock, sleep } from '../../helpers/clock.js';
import { distinctStats, LOCK_WAITS, LOCK_WAITS_DESCRIPTION, STALE_BY_REASON } from './fixtures.js';

type Kind = 'counter' | 'updown' | 'gauge';
interface Measurement {
  name: string;
  kind: Kind;
  value: number;
  attributes: Attributes;
}

/**
 * A Meter that records observable instruments and batch callbacks, and runs them on `collect()` the way
 * an SDK reader does; the synchronous instruments come from the API's no-op meter.
 */
class RecordingMeter implements Meter {
  readonly instruments = new Map<
    Observable,
    { name: string; kind: Kind; options: MetricOptions | undefined }
  >();
  readonly batches: Array<{ callback: BatchObservableCallback; observables: Observable[] }> = [];
  readonly #noop = createNoopMeter();

  createGauge = this.#noop.createGauge.bind(this.#noop);
  createHistogram = this.#noop.createHistogram.bind(this.#noop);
  createCounter = this.#noop.createCounter.bind(this.#noop);
  createUpDownCounter = this.#noop.createUpDownCounter.bind(this.#noop);

  createObservableCounter(name: string, options?: MetricOptions) {
    return this.#make('counter', name, options, this.#noop.createObservableCounter(name, options));
  }
  createObservableUpDownCounter(name: string, options?: MetricOptions) {
    return this.#make('updown', name, options, this.#noop.createObservableUpDownCounter(name, options));
  }
  createObservableGauge(name: string, options?: MetricOptions) {
    return this.#make('gauge', name, options, this.#noop.createObservableGauge(name, options));
  }
  addBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    this.batches.push({ callback, observables });
  }
  removeBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    const i = this.batches.findIndex(
      (b) =>
        b.callback === callback &&
        b.observables.length === observables.length &&
        b.observables.every((o, j) => o === observables[j]),
    );
    if (i >= 0) this.batches.splice(i, 1);
  }

  async collect(): Promise<Measurement[]> {
    const out: Measurement[] = [];
    for (const { callback, observables } of this.batches) {
      await callback({
        observe: (observable, value, attributes = {}) => {
          if (!observables.includes(observable)) throw new Error('observed an instrument not in the batch');
          const info = this.instruments.get(observable)!;
          out.push({ name: info.name, kind: info.kind, value, attributes });
        },
      });
    }
    return out;
  }

  #make<T extends Observable>(
    kind: Kind,
    name: string,
    options: MetricOptions | undefined,
    instrument: T,
  ): T {
    // The no-op meter hands out shared singletons; wrap them so each instrument is its own object.
    const own = Object.create(instrument) as T;
    this.instruments.set(own, { name, kind, options });
    return own;
  }
}

function find(ms: Measurement[], name: string, attributes: Attributes): Measurement | undefined {
  const want = JSON.stringify(Object.entries(attributes).sort());
  const found = ms.filter(
    (m) => m.name === name && JSON.stringify(Object.entries(m.attributes).sort()) === want,
  );
  if (found.length > 1) throw new Error(`Duplicate measurement ${name} ${want}`);
  return found[0];
}

describe('registerOpenTelemetry', () => {
  it('reports a real cache through observable counters, up-down counters and gauges', async () => {
    const clock = new ManualClock();
    const cache = new Cache({
      clock,
      ttl: 1000,
      staleWhileRevalidate: 5000,
      l1: { maxEntries: 2, maxBytes: 1e6 },
    });
    const meter = new RecordingMeter();
    registerOpenTelemetry(cache, meter, { name: 'users', attributes: { service: 'api', shard: 2 } });
    await cache.set('a', 1);
    await cache.get('a');
    await cache.get('a');
    await cache.get('missing');
    await expect(
      cache.getOrSet('c', async () => {
        throw new Error('db down');
      }),
    ).rejects.toThrow('db down');
    await cache.getOrSet('b', async () => 'loaded');
    clock.advance(1500);
    expect(await cache.getOrSet('b', async () => 'fresh')).toBe('loaded');
    await sleep(5);
    await cache.set('d', 4);
    await cache.set('e', 5);

    const ms = await meter.collect();
    const base = { cache: 'users', service: 'api', shard: 2 };
    const stats = cache.stats();
    const v = (name: string, extra: Attributes = {}) => find(ms, name, { ...base, ...extra })?.value;

    expect(v('stratacache.hits')).toBe(2);
    expect(v('stratacache.misses')).toBe(stats.misses);
    expect(stats.misses).toBeGreaterThanOrEqual(3);
    expect(v('stratacache.tier.hits', { tier: 'l1' })).toBe(2);
    expect(v('stratacache.tier.hits', { tier: 'l2' })).toBe(0);
    expect(v('stratacache.tier.misses', { tier: 'l1' })).toBe(stats.tiers.l1.misses);
    expect(v('stratacache.stale_served', { reason: 'swr' })).toBe(1);
    expect(v('stratacache.stale_served', { reason: 'fail_safe' })).toBe(0);
    expect(v('stratacache.stale_served', { reason: 'soft_timeout' })).toBe(0);
    expect(v('stratacache.stale_served', { reason: 'lock_wait' })).toBe(0);
    expect(v('stratacache.loads')).toBe(3);
    expect(v('stratacache.load.errors')).toBe(1);
    expect(v('stratacache.refreshes')).toBe(1);
    expect(v('stratacache.loads.coalesced')).toBe(0);
    expect(v('stratacache.l1.evictions')).toBe(stats.evictions);
    expect(stats.evictions).toBeGreaterThan(0);
    expect(v('stratacache.l1.entries')).toBe(2);
    expect(v('stratacache.l1.bytes')).toBe(stats.bytes);
    expect(stats.bytes).toBeGreaterThan(0);
    expect(v('stratacache.l2.circuit_open')).toBe(0);
    expect(v('stratacache.get.duration', { quantile: '0.5' })).toBeCloseTo(stats.latency.get.p50 / 1000, 9);
    expect(v('stratacache.get.duration', { quantile: '1' })).toBeCloseTo(stats.latency.get.max / 1000, 9);
    expect(v('stratacache.load.duration', { quantile: '0.99' })).toBeCloseTo(
      stats.latency.load.p99 / 1000,
      9,
    );

    const kinds = new Map(ms.map((m) => [m.name, m.kind]));
    expect(kinds.get('stratacache.hits')).toBe('counter');
    expect(kinds.get('stratacache.l1.entries')).toBe('updown');
    expect(kinds.get('stratacache.l1.bytes')).toBe('updown');
    expect(kinds.get('stratacache.get.duration')).toBe('gauge');
    const units = new Map([...meter.instruments.values()].map((i) => [i.name, i.options?.unit]));
    expect(units.get('stratacache.l1.bytes')).toBe('By');
    expect(units.get('stratacache.load.duration')).toBe('s');
    for (const { options } of meter.instruments.values()) expect(options?.description).toBeTruthy();
    await cache.close();
  });

  it('reads one stats() snapshot per collection and follows the cache between collections', async () => {
    const cache = new Cache();
    let calls = 0;
    const source = {
      stats: (): CacheStats => {
        calls++;
        return cache.stats();
      },
    };
    const meter = new RecordingMeter();
    registerOpenTelemetry(source, meter);
    await cache.set('k', 1);
    let ms = await meter.collect();
    expect(calls).toBe(1);
    expect(find(ms, 'stratacache.hits', { cache: 'default' })?.value).toBe(0);
    expect(find(ms, 'stratacache.l1.entries', { cache: 'default' })?.value).toBe(1);
    await cache.get('k');
    await cache.delete('k');
    ms = await meter.collect();
    expect(calls).toBe(2);
    expect(find(ms, 'stratacache.hits', { cache: 'default' })?.value).toBe(1);
    expect(find(ms, 'stratacache.l1.entries', { cache: 'default' })?.value).toBe(0);
    await cache.close();
  });

  it('reports every stale reason and the lease waits from the stats fields they name', async () => {
    const cache = new Cache();
    const meter = new RecordingMeter();
    registerOpenTelemetry(distinctStats(cache), meter);
    const ms = await meter.collect();
    const stale = ms.filter((m) => m.name === 'stratacache.stale_served');
    expect(Object.fromEntries(stale.map((m) => [m.attributes.reason, m.value]))).toEqual(STALE_BY_REASON);
    expect(find(ms, 'stratacache.lock_waits', { cache: 'default' })?.value).toBe(LOCK_WAITS);
    const lockWaits = [...meter.instruments.values()].find((i) => i.name === 'stratacache.lock_waits');
    expect(lockWaits?.options?.description).toBe(LOCK_WAITS_DESCRIPTION);
    await cache.close();
  });

  it('reports several caches on one meter apart and stops one on unregister', async () => {
    const a = new Cache();
    const b = new Cache();
    const meter = new RecordingMeter();
    const ra = registerOpenTelemetry(a, meter, { name: 'a', prefix: 'app.cache.' });
    const rb = registerOpenTelemetry(b, meter, { name: 'b', prefix: 'app.cache.' });
    await a.get('x');
    let ms = await meter.collect();
    expect(find(ms, 'app.cache.misses', { cache: 'a' })?.value).toBe(1);
    expect(find(ms, 'app.cache.misses', { cache: 'b' })?.value).toBe(0);
    expect(ms.some((m) => m.name.startsWith('stratacache.'))).toBe(false);

    ra.unregister();
    ra.unregister();
    ms = await meter.collect();
    expect(ms.some((m) => m.attributes.cache === 'a')).toBe(false);
    expect(find(ms, 'app.cache.misses', { cache: 'b' })?.value).toBe(0);
    rb.unregister();
    expect(meter.batches).toHaveLength(0);
    await Promise.all([a.close(), b.close()]);
  });

  it("works with the API's global no-op meter when no SDK is installed", async () => {
    const cache = new Cache();
    const registration = registerOpenTelemetry(cache, metrics.getMeter('stratacache-test'));
    registration.unregister();
    await cache.close();
  });

  describe('rejects bad arguments', () => {
    const real = new Cache();
    const cache = { stats: () => real.stats() };
    const meter = new RecordingMeter();
    afterAll(() => real.close());

    it('a cache without stats() or a meter without the observable API', () => {
      expect(() => registerOpenTelemetry({} as Cache, meter)).toThrow(
        'Expected `cache` to be a Cache (an object with stats()), got an object',
      );
      expect(() => registerOpenTelemetry(cache, {} as Meter)).toThrow(
        'Expected `meter` to be an OpenTelemetry Meter (metrics.getMeter()), got an object',
      );
      expect(() => registerOpenTelemetry(cache, undefined as unknown as Meter)).toThrow(TypeError);
    });

    it('bad options', () => {
      expect(() => registerOpenTelemetry(cache, meter, 'x' as never)).toThrow(TypeError);
      expect(() => registerOpenTelemetry(cache, meter, { attrs: {} } as never)).toThrow(InvalidOptionError);
      expect(() => registerOpenTelemetry(cache, meter, { prefix: '1abc' })).toThrow(
        'Expected `prefix` to be a string matching',
      );
      expect(() => registerOpenTelemetry(cache, meter, { prefix: 'a b' })).toThrow(TypeError);
      expect(() => registerOpenTelemetry(cache, meter, { name: '' })).toThrow(
        'Expected `name` to be a non-empty string, got "" (string)',
      );
      expect(() => registerOpenTelemetry(cache, meter, { attributes: [] as never })).toThrow(
        'Expected `attributes` to be an object, got an array',
      );
      expect(() => registerOpenTelemetry(cache, meter, { attributes: { tier: 'x' } })).toThrow(
        InvalidOptionError,
      );
      expect(() => registerOpenTelemetry(cache, meter, { attributes: { cache: 'x' } })).toThrow(
        'Expected attribute names other than cache, tier, reason, namespace, quantile, le (use `name` for the cache), got "cache" (string)',
      );
      expect(() => registerOpenTelemetry(cache, meter, { attributes: { region: {} as never } })).toThrow(
        'Expected `attributes.region` to be a string, number or boolean, got an object',
      );
      expect(meter.instruments.size).toBe(0);
      expect(meter.batches).toHaveLength(0);
    });
  });
});
