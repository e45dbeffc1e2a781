import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { Histogram } from '../../../src/metrics/histogram.js';
import { fleetTotals, parseSnapshot, snapshotOf } from '../../../src/observability/fleet/snapshot.js';

const identity = { id: 'a', host: 'h', pid: 1, version: '0.0.0', startedAt: 1_000 };

describe('fleet snapshots', () => {
  it('round-trips through JSON and refuses foreign values', async () => {
    const cache = new Cache();
    await cache.get('x');
    const s = snapshotOf(identity, cache.stats(), 5_000, { beats: 2, failures: 0 });
    expect(s.uptimeMs).toBe(4_000);
    expect(parseSnapshot(JSON.stringify(s))).toEqual(s);
    for (const text of ['nope', '1', 'null', '{"v":2,"id":"a"}', JSON.stringify({ ...s, latency: {} })]) {
      expect(parseSnapshot(text)).toBeUndefined();
    }
    await cache.close();
  });

  it('sums counters and merges histograms bucket-wise', async () => {
    const a = new Cache();
    const b = new Cache();
    await a.set('k', 1);
    await a.get('k');
    await b.get('k');
    const sa = snapshotOf(identity, a.stats(), 2_000, { beats: 0, failures: 0 });
    const slow = new Histogram();
    for (let i = 0; i < 99; i++) slow.record(100);
    const sb = {
      ...snapshotOf({ ...identity, id: 'b' }, b.stats(), 2_000, { beats: 0, failures: 0 }),
      breakerOpen: true,
    };
    sb.latency = { ...sb.latency, get: slow.data() };
    const t = fleetTotals([sa, sb]);
    expect(t.instances).toBe(2);
    expect(t.counters.hits).toBe(1);
    expect(t.counters.misses).toBe(1);
    expect(t.hitRatio).toBe(0.5);
    expect(t.breakersOpen).toBe(1);
    expect(t.latency.get.count).toBe(sa.latency.get.count + 99);
    // 99 of the merged observations are 100 ms: the fleet p99 is that bucket, not a per-instance average.
    expect(t.latency.get.p99).toBeGreaterThan(90);
    expect(fleetTotals([]).hitRatio).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });
});
