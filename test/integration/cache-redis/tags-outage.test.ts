import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import { settlesWithin } from '../../helpers/clock.js';
import { reportFigure } from '../../helpers/figures.js';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';

let redis: ServerHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('tags, namespaces and versions while redis-server is SIGKILLed (issue 12)', () => {
  it('every read settles during the outage, the event loop keeps turning, and tag checks resume after', async () => {
    const writer = new Cache({ l2: new RedisStore({ url: redis.url }), syncInterval: 1 });
    const reader = new Cache({ l2: new RedisStore({ url: redis.url }), syncInterval: 1 });
    const users = reader.namespace('users');
    await writer.set('k', 'v1', { tags: ['t'] });
    expect(await reader.get('k')).toBe('v1');
    expect(await users.getOrSet('u', async () => 'ada', { tags: ['team'], version: 'v2' })).toBe('ada');
    await redis.kill();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      for (let i = 0; i < 20; i++) {
        // Judged by the last known tag times: served from L1, never an endless re-sync.
        expect(await settlesWithin(reader.get('k'))).toBe('v1');
        expect(await settlesWithin(users.get('u', { version: 'v2' }))).toBe('ada');
      }
      await new Promise((r) => setTimeout(r, 50));
      reportFigure('event-loop ticks during the outage', ticks, 'ticks');
      expect(ticks).toBeGreaterThan(0);
    } finally {
      clearInterval(timer);
    }
    await redis.restart();
    // Once Redis is back, another instance's tag invalidation reaches the reader again.
    await vi.waitFor(
      async () => {
        await writer.invalidateTags(['t']);
        expect(await reader.get('k')).toBeUndefined();
      },
      { timeout: 10_000, interval: 200 },
    );
    await Promise.all([writer.close(), reader.close()]);
  }, 40_000);
});
