import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { chaosStore } from '../../../src/testing/chaos-store.js';
import { MapStore } from '../../../src/testing/map-store.js';
import { ManualClock, settlesWithin } from '../../helpers/clock.js';

describe('tagged reads while L2 cannot answer (issue 12: the tag-sync loop)', () => {
  it('a tagged get settles, and serves the L1 value judged by the last known tag times', async () => {
    const clock = new ManualClock();
    const { store, controls } = chaosStore(new MapStore());
    const cache = new Cache({
      l2: store,
      clock,
      syncInterval: 1000,
      circuitBreaker: { failures: 2, resetMs: 60_000 },
    });
    await cache.set('k', 'v', { tags: ['t'] });
    expect(await cache.get('k')).toBe('v');
    controls.failRate = 1;
    clock.advance(5000); // the tag time is no longer trusted: the next read must try to sync it
    for (let i = 0; i < 5; i++) expect(await settlesWithin(cache.get('k'))).toBe('v');
    expect(cache.stats().l2CircuitOpen).toBe(true);
    // A local invalidation is still honoured during the outage.
    await settlesWithin(cache.invalidateTags(['t']));
    expect(await settlesWithin(cache.get('k'))).toBeUndefined();
    await cache.close();
  });

  it('getOrSet with tags, a namespace and a version settles with an L2 that never answered', async () => {
    const clock = new ManualClock();
    const { store, controls } = chaosStore(new MapStore());
    controls.failRate = 1;
    const cache = new Cache({ l2: store, clock, syncInterval: 1000 });
    const users = cache.namespace('users');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      for (let i = 0; i < 3; i++) {
        expect(
          await settlesWithin(users.getOrSet('u1', async () => 'ada', { tags: ['team'], version: 'v2' })),
        ).toBe('ada');
        expect(await settlesWithin(users.get('u1', { version: 'v2' }))).toBe('ada');
        clock.advance(5000);
      }
      await new Promise((r) => setTimeout(r, 20));
      expect(ticks).toBeGreaterThan(0); // the event loop was never starved
    } finally {
      clearInterval(timer);
      await cache.close();
    }
  });
});
