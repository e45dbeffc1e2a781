import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { ValueTooLargeError } from '../../../src/errors.js';
import { chaosStore } from '../../../src/testing/chaos-store.js';
import { MapStore } from '../../../src/testing/map-store.js';
import { ManualClock } from '../../helpers/clock.js';

describe('L1 + L2', () => {
  it('an L2 hit back-fills L1, and L1 never outlives the L2 entry', async () => {
    const clock = new ManualClock();
    const l2 = new MapStore({ clock });
    const writer = new Cache({ l2, clock, ttl: 10_000 });
    const reader = new Cache({ l2, clock, ttl: 60_000 });
    await writer.set('k', 'v');
    clock.advance(6000);
    expect(await reader.get('k')).toBe('v');
    expect(reader.stats().tiers.l2.hits).toBe(1);
    expect(await reader.get('k')).toBe('v');
    expect(reader.stats().tiers.l1.hits).toBe(1);
    clock.advance(4001);
    expect(await reader.get('k')).toBeUndefined();
  });

  it('shares one L2 read among concurrent callers of a key, then reads again for later callers', async () => {
    const l2 = new MapStore();
    const writer = new Cache({ l2, l1: false });
    await writer.set('k', { n: 1 });
    let gets = 0;
    const counted = new Proxy(l2, {
      get(target, prop) {
        if (prop === 'get') {
          return (key: string) => {
            gets++;
            return target.get(key);
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const cache = new Cache({ l2: counted, l1: false });
    // Thousands of other keys read first: the cache's read records are bounded and start over.
    for (let i = 0; i < 5000; i++) await cache.get(`other:${i}`);
    gets = 0;
    const burst = await Promise.all(
      Array.from({ length: 200 }, () => cache.getOrSet('k', async () => ({ n: 2 }))),
    );
    expect(burst.every((v) => v.n === 1)).toBe(true);
    expect(gets).toBe(1);
    await writer.set('k', { n: 3 });
    expect(await cache.get('k')).toEqual({ n: 3 });
    expect(gets).toBe(2);
    const misses = await Promise.all([cache.get('none'), cache.get('none'), cache.get('none')]);
    expect(misses).toEqual([undefined, undefined, undefined]);
    expect(gets).toBe(3);
    expect(cache.stats().tiers.l2.misses).toBe(5003);
  });

  it('one L2 read serves get, getOrSet and option-carrying callers of a key alike, and counts each miss once', async () => {
    const l2 = new MapStore();
    let gets = 0;
    const get = l2.get.bind(l2);
    l2.get = (key: string) => {
      gets++;
      return get(key);
    };
    const writer = new Cache({ l2, l1: false });
    await writer.set('k', 'stored');
    const cache = new Cache({ l2, l1: { maxEntries: 10 } });
    let loads = 0;
    const loader = async () => {
      loads++;
      return 'loaded';
    };
    const [a, b, c] = await Promise.all([
      cache.get('k'),
      cache.getOrSet('k', loader),
      cache.getOrSet('k', loader, { ttl: 5000 }),
    ]);
    expect([a, b, c]).toEqual(['stored', 'stored', 'stored']);
    expect(gets).toBe(1);
    expect(loads).toBe(0);
    // L2 back-filled L1: the next reads do not touch L2.
    expect(await cache.get('k')).toBe('stored');
    expect(gets).toBe(1);
    const before = cache.stats();
    const [x, y, z] = await Promise.all([
      cache.get('none'),
      cache.getOrSet('none', loader),
      cache.get('none'),
    ]);
    expect([x, y, z]).toEqual([undefined, 'loaded', undefined]);
    expect(gets).toBe(2);
    expect(loads).toBe(1);
    const after = cache.stats();
    expect(after.misses - before.misses).toBe(3);
    expect(after.tiers.l1.misses - before.tiers.l1.misses).toBe(3);
    expect(after.tiers.l2.misses - before.tiers.l2.misses).toBe(3);
  });

  it('a read of a key L1 lacks rejects like the full path: bad keys, closed cache, a throwing loader', async () => {
    const l2 = new MapStore();
    const cache = new Cache({ l2, l1: false });
    await expect(cache.getOrSet('', async () => 1)).rejects.toThrow(/non-empty key/);
    await expect(cache.get('x'.repeat(100_000))).rejects.toThrow(/at most/);
    await expect(
      cache.getOrSet('boom', async () => {
        throw new Error('loader failed');
      }),
    ).rejects.toThrow('loader failed');
    await cache.close();
    await expect(cache.getOrSet('k', async () => 1)).rejects.toThrow(/closed/i);
    await expect(cache.get('k')).rejects.toThrow(/closed/i);
  });

  it('caps L1 life with the per-tier ttl', async () => {
    const clock = new ManualClock();
    const l2 = new MapStore({ clock });
    const cache = new Cache({ l2, clock, ttl: 60_000, l1: { maxEntries: 100, ttl: 1000 } });
    await cache.set('k', 'v');
    await l2.set('sc:k', (await l2.get('sc:k'))!);
    clock.advance(1500);
    expect(await cache.get('k')).toBe('v');
    expect(cache.stats().tiers.l2.hits).toBe(1);
  });

  it('serves from L1 and the loader when L2 fails, counting errors', async () => {
    const { store, controls } = chaosStore(new MapStore());
    const cache = new Cache({ l2: store, circuitBreaker: { failures: 3, resetMs: 60_000 } });
    const errors: string[] = [];
    cache.on('error', (e) => errors.push(e.error.name));
    await cache.set('warm', 1);
    controls.failRate = 1;
    expect(await cache.get('warm')).toBe(1);
    expect(await cache.getOrSet('cold', async () => 2)).toBe(2);
    expect(await cache.getMany(['warm', 'cold', 'none'])).toEqual([1, 2, undefined]);
    await cache.set('x', 3);
    expect(await cache.get('x')).toBe(3);
    expect(cache.stats().tiers.l2.errors).toBeGreaterThanOrEqual(3);
    expect(cache.stats().l2CircuitOpen).toBe(true);
    const callsWhenOpen = controls.calls;
    await cache.getOrSet('cold2', async () => 4);
    expect(controls.calls).toBe(callsWhenOpen);
    expect(errors).toContain('CircuitOpenError');
  });

  it('bounds a hanging L2 by the per-operation timeout', async () => {
    const { store, controls } = chaosStore(new MapStore());
    const cache = new Cache({ l2: store, l2Timeout: 30 });
    controls.hang = true;
    // Without the timeout the call never settles (the L2 hangs forever) and the test times out.
    expect(await cache.getOrSet('k', async () => 'v')).toBe('v');
    expect(cache.stats().tiers.l2.errors).toBeGreaterThanOrEqual(1);
  });

  it('closes the circuit again after a successful probe', async () => {
    const clock = new ManualClock();
    const { store, controls } = chaosStore(new MapStore());
    const cache = new Cache({ l2: store, clock, circuitBreaker: { failures: 2, resetMs: 1000 } });
    controls.failRate = 1;
    await cache.get('a');
    await cache.get('b');
    expect(cache.stats().l2CircuitOpen).toBe(true);
    controls.failRate = 0;
    clock.advance(1001);
    await cache.get('c');
    expect(cache.stats().l2CircuitOpen).toBe(false);
  });

  it('works with L2 only', async () => {
    const cache = new Cache({ l2: new MapStore(), l1: false });
    let n = 0;
    expect(await cache.getOrSet('k', async () => ++n)).toBe(1);
    expect(await cache.getOrSet('k', async () => ++n)).toBe(1);
    expect(cache.stats().tiers.l2.hits).toBe(1);
  });

  it('an oversized value skips L1 but lands in L2', async () => {
    const l2 = new MapStore();
    const cache = new Cache({ l2, l1: { maxEntries: 10, maxBytes: 10_000, maxEntryBytes: 100 } });
    const big = 'x'.repeat(1000);
    const errors: string[] = [];
    cache.on('error', (e) => errors.push(e.operation));
    await cache.set('big', big);
    expect(cache.stats().entries).toBe(0);
    expect(await cache.get('big')).toBe(big);
    expect(errors[0]).toBe('l1.set');
  });
});

describe('stats and events', () => {
  it('counts hits, misses, loads and latency', async () => {
    const cache = new Cache();
    const seen: string[] = [];
    cache.on('hit', () => seen.push('hit'));
    cache.on('miss', () => seen.push('miss'));
    cache.on('set', () => seen.push('set'));
    await cache.getOrSet('a', async () => 1);
    await cache.getOrSet('a', async () => 1);
    await cache.get('b');
    const s = cache.stats();
    expect(s.hits).toBe(1);
    expect(s.misses).toBe(2);
    expect(s.hitRatio).toBeCloseTo(1 / 3);
    expect(s.loads.calls).toBe(1);
    expect(s.sets).toBe(1);
    expect(s.entries).toBe(1);
    expect(s.latency.load.count).toBe(1);
    expect(seen).toEqual(['miss', 'set', 'hit', 'miss']);
  });

  it('times about 1 in 256 fast-path hits (each sample weighing the hits it stands for) and every other read, so slow reads reach max', async () => {
    const { store, controls } = chaosStore(new MapStore());
    const cache = new Cache({ l2: store });
    await cache.set('hot', 1);
    controls.latencyMs = 30;
    // The very first read is a slow L2 read: it is timed, whatever the sampling does to hits.
    expect(await cache.get('cold:first')).toBeUndefined();
    expect(cache.stats().latency.get.count).toBe(1);
    expect(cache.stats().latency.get.max).toBeGreaterThanOrEqual(25);
    controls.latencyMs = 0;
    const calls = 16_000;
    // 90 % L1 hits (the fast path, sampled), 10 % L2 misses (the full path, always timed).
    for (let i = 0; i < calls; i++) {
      if (i % 10 === 9) await cache.get(`cold:${i}`);
      else await cache.get('hot');
    }
    const get = cache.stats().latency.get;
    // Each timed hit weighs the fast hits since the previous one, so the weighted count is every hit up to
    // the last timed one: 14,400 hits, short by the hits after it (fewer than one gap of up to 511 calls).
    const weightedHits = get.count - 1 - calls / 10;
    expect(weightedHits).toBeLessThanOrEqual(14_400);
    expect(weightedHits).toBeGreaterThan(14_400 - 2 * 256);
  });

  it('get hits take the fast path with the same meaning: counted, expiry and tags honoured, closed rejects', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, ttl: 1000 });
    await cache.set('plain', 1);
    await cache.set('tagged', 2, { tags: ['t'] });
    for (let i = 0; i < 40; i++) expect(await cache.get('plain')).toBe(1);
    expect(await cache.get('tagged')).toBe(2);
    expect(cache.stats().tiers.l1.hits).toBe(41);
    await cache.invalidateTags(['t']);
    expect(await cache.get('tagged')).toBeUndefined();
    clock.advance(1000);
    expect(await cache.get('plain')).toBeUndefined();
    expect(cache.stats().misses).toBe(2);
    await cache.set('plain', 3);
    await cache.close();
    await expect(cache.get('plain')).rejects.toThrow(/closed/i);
  });

  it('hits of one entry share a settled promise; a new value (set, load, L2 back-fill) gets its own', async () => {
    const l2 = new MapStore();
    const cache = new Cache({ l2 });
    const other = new Cache({ l2, l1: false });
    await cache.set('k', { n: 1 });
    const first = cache.getOrSet('k', async () => ({ n: 0 }));
    expect(cache.get('k')).toBe(first);
    expect(await first).toEqual({ n: 1 });
    await cache.set('k', { n: 2 });
    expect(await cache.getOrSet('k', async () => ({ n: 0 }))).toEqual({ n: 2 });
    expect(await cache.get('k')).toEqual({ n: 2 });
    await cache.delete('k');
    expect(await cache.getOrSet('k', async () => ({ n: 3 }))).toEqual({ n: 3 });
    expect(await cache.get('k')).toEqual({ n: 3 });
    // A value written elsewhere reaches L1 through L2 as a new entry.
    await other.set('j', 'from L2');
    expect(await cache.get('j')).toBe('from L2');
    expect(await cache.getOrSet('j', async () => 'loaded')).toBe('from L2');
  });

  it('reports evictions and an evict event', async () => {
    const cache = new Cache({ l1: { maxEntries: 2 } });
    const evicted: string[] = [];
    cache.on('evict', (e) => evicted.push(e.reason));
    for (let i = 0; i < 5; i++) await cache.set(`k${i}`, i);
    expect(cache.stats().evictions).toBe(3);
    expect(cache.stats().entries).toBe(2);
    expect(evicted).toEqual(['capacity', 'capacity', 'capacity']);
  });

  it('a throwing listener does not break the call', async () => {
    const cache = new Cache();
    cache.on('set', () => {
      throw new Error('listener bug');
    });
    await expect(cache.set('k', 1)).resolves.toBe(true);
    expect(await cache.get('k')).toBe(1);
  });
});

describe('writes that do not reach L2', () => {
  it('set resolves false when L2 failed, true when every tier took it', async () => {
    const { store, controls } = chaosStore(new MapStore());
    const cache = new Cache({ l2: store, circuitBreaker: { failures: 100, resetMs: 1000 } });
    expect(await cache.set('a', 1)).toBe(true);
    controls.failRate = 1;
    expect(await cache.set('b', 2)).toBe(false);
    expect(await cache.setMany([{ key: 'c', value: 3 }])).toBe(false);
    expect(await cache.get('b')).toBe(2);
  });

  it('a value too large for the store does not open the circuit', async () => {
    const { store } = chaosStore(new MapStore());
    const sized = {
      ...store,
      set: async (key: string, value: Uint8Array, ttlMs?: number) => {
        if (value.byteLength > 1000) throw new ValueTooLargeError('too big for this store');
        return store.set(key, value, ttlMs);
      },
    };
    const cache = new Cache({ l2: sized, l1: false, circuitBreaker: { failures: 2, resetMs: 60_000 } });
    for (let i = 0; i < 5; i++) expect(await cache.set(`big${i}`, 'x'.repeat(5000))).toBe(false);
    expect(cache.stats().l2CircuitOpen).toBe(false);
    expect(await cache.set('small', 'ok')).toBe(true);
    expect(await cache.get('small')).toBe('ok');
  });
});
