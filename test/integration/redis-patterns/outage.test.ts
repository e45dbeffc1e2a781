import type { RedisClientType } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCacheError, StoreError, StoreTimeoutError } from '../../../src/errors.js';
import {
  RateLimiter,
  RedisBatch,
  RedisCounter,
  RedisHash,
  RedisPubSub,
  RedisQueue,
  RedisRanking,
} from '../../../src/redis-helpers/index.js';
import { eventually, type Standalone, sleep, standalone, trackUnhandledRejections } from './setup.js';

let redis: Standalone;
const unhandled = trackUnhandledRejections();
beforeAll(async () => {
  redis = await standalone();
});
afterAll(async () => {
  unhandled.dispose();
  await redis.stop();
});

/** One call of every pattern, as thunks, over `client`. */
function everyPattern(client: RedisClientType, timeout: number) {
  const hash = new RedisHash<{ a: number }>(client, { prefix: 'h:', timeout });
  const ranking = new RedisRanking(client, { key: 'r', timeout });
  const queue = new RedisQueue<number>(client, { key: 'q', timeout });
  const counter = new RedisCounter(client, { timeout });
  const limiter = new RateLimiter(client, { limit: 5, window: 10_000, timeout });
  const batch = new RedisBatch<number>(client, { timeout });
  const pubsub = new RedisPubSub<number>(client, { timeout });
  let channels = 0;
  return {
    close: async () => {
      await queue.close();
      await pubsub.close();
    },
    calls: {
      'hash.set': () => hash.set('1', { a: 1 }, { ttl: 60_000 }),
      'hash.get': () => hash.get('1'),
      'ranking.add': () => ranking.add('m', 1),
      'ranking.top': () => ranking.top(3),
      'queue.push': () => queue.push(1),
      'queue.pop': () => queue.pop(),
      'queue.popBlocking': () => queue.popBlocking(200),
      'counter.incrementWithCap': () => counter.incrementWithCap('c', 1, 1000),
      'rateLimiter.limit': () => limiter.limit('id'),
      'batch.batchGet': () => batch.batchGet(['a', 'b']),
      'batch.batchSet': () => batch.batchSet([{ key: 'a', value: 1 }]),
      'pubsub.publish': () => pubsub.publish('ch', 1),
      'pubsub.subscribe': () => pubsub.subscribe(`ch:${channels++}`, () => undefined),
    } satisfies Record<string, () => Promise<unknown>>,
  };
}

async function outcomes(calls: Record<string, () => Promise<unknown>>) {
  const out: Record<string, { error: unknown; ms: number }> = {};
  await Promise.all(
    Object.entries(calls).map(async ([name, call]) => {
      const started = Date.now();
      try {
        await call();
        out[name] = { error: undefined, ms: Date.now() - started };
      } catch (error) {
        out[name] = { error, ms: Date.now() - started };
      }
    }),
  );
  return out;
}

describe('patterns when the server dies and comes back', () => {
  it('reject every call with a typed StoreError, without hanging, then work again after a restart', async () => {
    const failFast = everyPattern(redis.client, 1000);
    const queueing = everyPattern(await redis.another({ disableOfflineQueue: false }), 400);
    for (const [name, result] of Object.entries(await outcomes(failFast.calls))) {
      expect(result.error, name).toBeUndefined();
    }

    await redis.server.kill();
    await eventually(() => !redis.client.isReady);

    const fast = await outcomes(failFast.calls);
    const slow = await outcomes(queueing.calls);
    for (const [name, result] of [...Object.entries(fast), ...Object.entries(slow)]) {
      expect(isCacheError(result.error), `${name}: ${String(result.error)}`).toBe(true);
      expect(result.error, name).toBeInstanceOf(StoreError);
      expect(result.ms, name).toBeLessThan(2500);
    }
    // A client that queues while offline never answers: the per-call bound turns that into a timeout.
    expect(slow['hash.get']?.error).toBeInstanceOf(StoreTimeoutError);
    expect(fast['hash.get']?.ms).toBeLessThan(500);

    await redis.server.restart();
    await eventually(() => redis.client.isReady, 10_000);
    await eventually(
      async () => (await outcomes({ ping: () => queueing.calls['hash.get']() })).ping?.error === undefined,
      10_000,
    );
    for (const client of [failFast, queueing]) {
      for (const [name, result] of Object.entries(await outcomes(client.calls))) {
        expect(result.error, name).toBeUndefined();
      }
    }
    await failFast.close();
    await queueing.close();
    expect(unhandled.reasons).toEqual([]);
  });

  it('a blocking pop in flight rejects when the server dies, and the queue recovers', async () => {
    const queue = new RedisQueue<number>(redis.client, { key: 'q:kill' });
    const popped = queue.popBlocking(20_000).then(
      () => 'resolved',
      (err: unknown) => err,
    );
    await sleep(100);
    const started = Date.now();
    await redis.server.kill();
    const outcome = await popped;
    expect(outcome).toBeInstanceOf(StoreError);
    expect(Date.now() - started).toBeLessThan(3000);

    await redis.server.restart();
    await eventually(() => redis.client.isReady, 10_000);
    await queue.push(42);
    expect(await queue.popBlocking(2000)).toBe(42);
    await queue.close();
    expect(unhandled.reasons).toEqual([]);
  });

  it('subscriptions resume after a restart (messages in between are lost: at-most-once)', async () => {
    const errors: unknown[] = [];
    const bus = new RedisPubSub<number>(redis.client, { onError: (err) => errors.push(err) });
    const got: number[] = [];
    await bus.subscribe('resume', (n) => {
      got.push(n);
    });
    await bus.publish('resume', 1);
    await eventually(() => got.length === 1);

    await redis.server.kill();
    await expect(bus.publish('resume', 2)).rejects.toBeInstanceOf(StoreError);
    await redis.server.restart();
    await eventually(() => redis.client.isReady, 10_000);
    // The subscriber reconnects and resubscribes by itself; publish until it hears again.
    await eventually(async () => {
      await bus.publish('resume', 3);
      return got.includes(3);
    }, 10_000);
    expect(got).not.toContain(2);
    expect(errors.length).toBeGreaterThan(0);
    await bus.close();
    expect(unhandled.reasons).toEqual([]);
  });
});
