import { createCluster, type RedisClusterType } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RateLimiter,
  RedisBatch,
  RedisCounter,
  RedisHash,
  RedisPubSub,
  RedisQueue,
  RedisRanking,
} from '../../../src/redis-helpers/index.js';
import { type ClusterHandle, startRedisCluster } from '../../helpers/servers.js';
import { eventually, sleep } from './setup.js';

let cluster: ClusterHandle;
let client: RedisClusterType;

beforeAll(async () => {
  cluster = await startRedisCluster();
  client = createCluster({ rootNodes: cluster.rootNodes, defaults: { disableOfflineQueue: true } });
  client.on('error', () => undefined);
  await client.connect();
});
afterAll(async () => {
  client?.destroy();
  await cluster?.stop();
});

describe('patterns on a 3-master Redis Cluster', () => {
  it('hash objects with TTL and atomic updates, on keys spread over the masters', async () => {
    const users = new RedisHash<{ name: string; n: number }>(client, { prefix: 'user:' });
    const ids = Array.from({ length: 30 }, (_, i) => `u${i}`);
    await Promise.all(ids.map((id, n) => users.set(id, { name: id, n }, { ttl: 60_000 })));
    expect(await users.update('u7', 'n', 70)).toBe(true);
    expect(await users.update('absent', 'n', 1)).toBe(false);
    expect(await users.get('u7')).toEqual({ name: 'u7', n: 70 });
    expect(await users.getField('u29', 'n')).toBe(29);
    expect(await users.expire('u1', 1000)).toBe(true);
    expect(await users.delete('u2')).toBe(true);
    expect(await users.get('u2')).toBeUndefined();
  });

  it('rankings with trimming', async () => {
    const board = new RedisRanking(client, { key: 'board', maxSize: 3 });
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((m, i) => board.add(m, i)));
    expect(await board.top(10)).toEqual([
      { member: 'e', score: 4 },
      { member: 'd', score: 3 },
      { member: 'c', score: 2 },
    ]);
    expect(await board.rank('c')).toBe(2);
    expect(await board.increment('c', 10)).toBe(12);
    expect(await board.rank('c')).toBe(0);
  });

  it('queues with a blocking pop woken by a push and timing out when empty', async () => {
    const queue = new RedisQueue<{ id: number }>(client, { key: 'jobs' });
    const popped = queue.popBlocking(10_000);
    await sleep(100);
    await queue.push({ id: 1 });
    expect(await popped).toEqual({ id: 1 });
    const started = Date.now();
    expect(await queue.popBlocking(300)).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await queue.close();
  });

  it('incrementWithCap never passes the cap under 200 concurrent calls', async () => {
    const counters = new RedisCounter(client, { prefix: 'quota:' });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => counters.incrementWithCap(`k${i % 4}`, 1, 20)),
    );
    expect(results.filter((r) => !r.capped)).toHaveLength(80);
    for (const k of ['k0', 'k1', 'k2', 'k3']) expect(await counters.get(k)).toBe(20);
  });

  it('rate limiters allow exactly the limit per id in both modes', async () => {
    for (const mode of ['fixed', 'sliding'] as const) {
      const limiter = new RateLimiter(client, { limit: 7, window: 30_000, mode, prefix: `rl:${mode}:` });
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => limiter.limit(`id${i % 3}`)));
      expect(
        results.filter((r) => r.allowed),
        mode,
      ).toHaveLength(21);
    }
  });

  it('batch get/set across slots, in key order', async () => {
    const batch = new RedisBatch<number>(client, { prefix: 'b:' });
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
    await batch.batchSet(keys.map((key, i) => ({ key, value: i, ttl: 60_000 })));
    expect(await batch.batchGet([...keys, 'missing'])).toEqual([...keys.map((_, i) => i), undefined]);
  });

  it('publish/subscribe', async () => {
    const bus = new RedisPubSub<{ n: number }>(client);
    const got: number[] = [];
    await bus.subscribe('events', (msg) => {
      got.push(msg.n);
    });
    await eventually(async () => {
      await bus.publish('events', { n: 1 });
      return got.length > 0;
    });
    expect(got[0]).toBe(1);
    await bus.close();
  });
});
