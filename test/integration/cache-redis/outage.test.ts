import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import { sleep } from '../../helpers/clock.js';
import { reportFigure } from '../../helpers/figures.js';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';

let redis: ServerHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('Redis outage', () => {
  it('keeps serving while redis-server is SIGKILLed and restarted, and resumes L2 hits', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => {
      unhandled.push(e);
    };
    process.on('unhandledRejection', onUnhandled);
    // A short L1 TTL so reads keep going to L2 and its recovery is visible.
    const cache = new Cache({
      l2: new RedisStore({ url: redis.url }),
      l1: { maxEntries: 1000, ttl: 50 },
      ttl: 60_000,
    });
    let l2HitAt = 0;
    cache.on('hit', (e) => {
      if (e.tier === 'l2' && l2HitAt === 0) l2HitAt = Date.now();
    });
    type Phase = 'before' | 'during' | 'after';
    let phase: Phase = 'before';
    const served: Record<Phase, number> = { before: 0, during: 0, after: 0 };
    const failed: unknown[] = [];
    let slowest = 0;
    let stop = false;
    const loop = async (id: number): Promise<void> => {
      let i = 0;
      while (!stop) {
        const key = `item:${(id * 7 + i++) % 50}`;
        const t0 = performance.now();
        try {
          const v = await cache.getOrSet(key, async () => ({ key, at: Date.now() }));
          if ((v as { key: string }).key !== key) failed.push(new Error(`wrong value for ${key}`));
          served[phase]++;
        } catch (err) {
          failed.push(err);
        }
        slowest = Math.max(slowest, performance.now() - t0);
        await sleep(2);
      }
    };
    const loops = Array.from({ length: 8 }, (_, id) => loop(id));
    await sleep(1000);
    phase = 'during';
    await redis.kill();
    await sleep(2000);
    await redis.restart();
    // The server accepts connections again from here.
    const restartedAt = Date.now();
    phase = 'after';
    l2HitAt = 0;
    await sleep(2000);
    stop = true;
    await Promise.all(loops);
    await cache.close();
    process.off('unhandledRejection', onUnhandled);

    reportFigure('failed calls', failed.length, 'calls');
    reportFigure('calls served', served.before + served.during + served.after, 'calls');
    reportFigure('worst call', slowest, 'ms');
    reportFigure('first L2 hit after restart', l2HitAt - restartedAt, 'ms');
    expect(failed).toEqual([]);
    expect(unhandled).toEqual([]);
    expect(served.before).toBeGreaterThan(100);
    expect(served.during).toBeGreaterThan(100);
    expect(served.after).toBeGreaterThan(100);
    expect(slowest).toBeLessThan(300);
    expect(cache.stats().tiers.l2.errors).toBeGreaterThan(0);
    expect(l2HitAt).toBeGreaterThan(0);
    expect(l2HitAt - restartedAt).toBeLessThan(1000);
  }, 30_000);
});
