import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import { reportFigure } from '../../helpers/figures.js';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';
import { eventually, sleep } from './targets.js';

let redis: ServerHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('RedisStore.onReady', () => {
  it('signals the first connection and every reconnect, soon after a restarted server accepts', async () => {
    const store = new RedisStore({ url: redis.url });
    const readyAt: number[] = [];
    const removed: number[] = [];
    const stop = store.onReady((node) => {
      expect(node).toBeUndefined();
      readyAt.push(performance.now());
    });
    const other = store.onReady(() => removed.push(performance.now()));
    other();
    try {
      await store.ready({ timeoutMs: 5_000 });
      expect(await eventually(() => readyAt.length === 1, 2_000)).toBe(true);
      await redis.kill();
      // Long enough for the reconnect backoff to reach its cap.
      await sleep(1_500);
      await redis.restart();
      const accepted = performance.now();
      expect(await eventually(() => readyAt.length === 2, 3_000)).toBe(true);
      const afterMs = Math.max(0, readyAt[1]! - accepted);
      reportFigure('connection ready after the restarted server accepts', afterMs, 'ms');
      // The backoff is capped at 100 ms; the bound leaves room for a loaded box.
      expect(afterMs).toBeLessThan(1_000);
      expect(removed).toEqual([]);
      stop();
    } finally {
      await store.close();
    }
  });
});
