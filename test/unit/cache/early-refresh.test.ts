import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { shouldRefreshEarly } from '../../../src/stampede/early-refresh.js';
import { ManualClock, seeded, sleep } from '../../helpers/clock.js';

describe('XFetch early refresh', () => {
  it('never refreshes far from expiry and always at expiry', () => {
    const random = seeded(7);
    for (let i = 0; i < 10_000; i++) {
      expect(shouldRefreshEarly(0, 100_000, 50, 1, random)).toBe(false);
      expect(shouldRefreshEarly(100_000, 100_000, 50, 1, random)).toBe(true);
    }
    expect(shouldRefreshEarly(99_999, 100_000, 0, 1, random)).toBe(false);
  });

  it('refreshes a hot key before it expires, so readers never see a miss gap', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, ttl: 10_000, earlyRefresh: { beta: 1 }, random: seeded(42) });
    let loads = 0;
    const refreshTimes: number[] = [];
    const expiries: number[] = [];
    let expiresAt = 0;
    const loader = async () => {
      loads++;
      if (loads > 1) refreshTimes.push(clock.now());
      // The load takes 200 ms of the cache's clock: that is the δ XFetch weighs.
      clock.advance(200);
      await Promise.resolve();
      expiresAt = clock.now() + 10_000;
      expiries.push(expiresAt);
      return loads;
    };
    let misses = 0;
    cache.on('miss', () => misses++);
    await cache.getOrSet('hot', loader);
    expect(misses).toBe(1);
    // A hot key: read every 10 ms of clock time for 60 s.
    for (let t = 0; t < 6000; t++) {
      clock.advance(10);
      await cache.getOrSet('hot', loader);
      if (t % 200 === 0) await sleep(1);
    }
    await sleep(5);
    expect(misses).toBe(1);
    expect(loads).toBeGreaterThanOrEqual(5);
    // Every refresh happened before the value it replaced expired.
    for (let i = 0; i < refreshTimes.length; i++) expect(refreshTimes[i]!).toBeLessThan(expiries[i]!);
    expect(cache.stats().loads.refreshes).toBe(loads - 1);
  });

  it('with a larger beta refreshes earlier on average', () => {
    const random = seeded(1);
    const earliest = (beta: number): number => {
      let sum = 0;
      for (let i = 0; i < 2000; i++) {
        let t = 0;
        while (!shouldRefreshEarly(t, 10_000, 100, beta, random)) t += 10;
        sum += 10_000 - t;
      }
      return sum / 2000;
    };
    const b1 = earliest(1);
    const b4 = earliest(4);
    expect(b1).toBeGreaterThan(50);
    expect(b4).toBeGreaterThan(b1 * 2.5);
  });
});
