import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusMessage } from '../../../src/stores/bus.js';
import type { RedisBus } from '../../../src/stores/redis/redis-bus.js';
import type { RedisStoreBase } from '../../../src/stores/redis/redis-store-base.js';
import { eventually, sleep, type Target, targets } from './targets.js';

for (const kind of ['standalone', 'cluster'] as const) {
  describe(`RedisBus (${kind})`, () => {
    let target: Target;
    let storeA: RedisStoreBase;
    let storeB: RedisStoreBase;
    let busA: RedisBus;
    let busB: RedisBus;
    const gotA: BusMessage[] = [];
    const gotB: BusMessage[] = [];
    let resetsB = 0;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };

    beforeAll(async () => {
      process.on('unhandledRejection', onUnhandled);
      target = await targets[kind]();
      storeA = target.store({ prefix: 'app:' });
      storeB = target.store({ prefix: 'app:' });
      busA = storeA.createBus('inval') as RedisBus;
      busB = storeB.createBus('inval') as RedisBus;
      await busA.subscribe(
        (m) => gotA.push(m),
        () => {},
      );
      await busB.subscribe(
        (m) => gotB.push(m),
        () => {
          resetsB++;
        },
      );
    });

    afterAll(async () => {
      await storeA?.close();
      await storeB?.close();
      await target?.stop();
      process.off('unhandledRejection', onUnhandled);
      expect(unhandled).toEqual([]);
    });

    it('delivers a message to every subscribed instance, the publisher included', async () => {
      const msg: BusMessage = {
        v: 1,
        type: 'delete',
        keys: ['app:user:1', 'x{y}*'],
        ts: Date.now(),
        from: 'A',
      };
      await busA.publish(msg);
      expect(await eventually(() => gotB.length >= 1 && gotA.length >= 1, 2000)).toBe(true);
      expect(gotB.at(-1)).toEqual(msg);
      expect(gotA.at(-1)).toEqual(msg);
      expect(busB.channel).toBe('app:inval');
    });

    it('ignores and counts messages that are not bus messages', async () => {
      const before = busB.stats;
      const count = gotB.length;
      await target.cli('PUBLISH', 'app:inval', 'not json {');
      await target.cli('PUBLISH', 'app:inval', JSON.stringify({ v: 2, type: 'delete', keys: [] }));
      await busA.publish({ v: 1, type: 'clear', ts: 1, from: 'A' });
      expect(await eventually(() => gotB.length > count, 2000)).toBe(true);
      await sleep(50);
      expect(gotB.at(-1)?.type).toBe('clear');
      // With the cluster, redis-cli publishes once per node, and every node broadcasts: count at least 2.
      expect(busB.stats.ignored - before.ignored).toBeGreaterThanOrEqual(2);
      expect(busB.stats.received - before.received).toBe(gotB.length - count);
    });

    it('calls onReset after the subscriber connection is killed and re-subscribed, then delivers again', async () => {
      const before = resetsB;
      const killed = await target.cli('CLIENT', 'KILL', 'TYPE', 'pubsub');
      expect(killed.map(Number).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2);
      expect(await eventually(() => resetsB > before, 5000)).toBe(true);
      const count = gotB.length;
      await busA.publish({ v: 1, type: 'tags', tags: ['t1'], ts: Date.now(), from: 'A' });
      expect(await eventually(() => gotB.length > count, 2000)).toBe(true);
      expect(gotB.at(-1)).toMatchObject({ type: 'tags', tags: ['t1'] });
    });

    it('rejects publish after close and closes idempotently', async () => {
      const store = target.store({ prefix: 'app:' });
      const bus = store.createBus('other');
      await bus.subscribe(
        () => {},
        () => {},
      );
      await bus.close();
      await bus.close();
      await expect(bus.publish({ v: 1, type: 'clear', ts: 1, from: 'x' })).rejects.toMatchObject({
        code: 'ERR_CACHE_STORE',
      });
      await store.close();
    });
  });
}
