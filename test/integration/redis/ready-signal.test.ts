import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisClusterStore } from '../../../src/stores/redis/redis-cluster-store.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import { reportFigure } from '../../helpers/figures.js';
import { type ServerHandle, startRedis, startRedisCluster } from '../../helpers/servers.js';
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

describe('RedisClusterStore.onReady', () => {
  it('names each master as its connection becomes ready, and a restarted master again', async () => {
    const cluster = await startRedisCluster(3);
    const store = new RedisClusterStore({ rootNodes: cluster.rootNodes }, { commandTimeoutMs: 500 });
    const seen: Array<{ node: string | undefined; at: number }> = [];
    const stop = store.onReady((node) => seen.push({ node, at: performance.now() }));
    try {
      await store.ready({ timeoutMs: 10_000 });
      // A command per master makes the client connect to each.
      for (let i = 0; i < 64; i++) await store.set(`k${i}`, new Uint8Array([i]), 60_000);
      const masters = [...store.nodes()].sort();
      expect(masters).toHaveLength(3);
      expect(await eventually(() => masters.every((m) => seen.some((s) => s.node === m)), 5_000)).toBe(true);
      // Named as `nodeFor` names them, so the Cache probes that master's breaker.
      expect(masters).toContain(store.nodeFor('k0'));

      const victim = cluster.nodes.find((n) => `127.0.0.1:${n.port}` === store.nodeFor('k0'))!;
      const address = `127.0.0.1:${victim.port}`;
      const before = seen.filter((s) => s.node === address).length;
      await victim.kill();
      await sleep(1_000);
      await victim.restart();
      const accepted = performance.now();
      expect(await eventually(() => seen.filter((s) => s.node === address).length > before, 5_000)).toBe(
        true,
      );
      const afterMs = Math.max(0, seen.filter((s) => s.node === address).at(-1)!.at - accepted);
      reportFigure('cluster master connection ready after the restarted master accepts', afterMs, 'ms');
      expect(afterMs).toBeLessThan(2_000);
      stop();
    } finally {
      await store.close();
      await cluster.stop();
    }
  }, 60_000);
});
