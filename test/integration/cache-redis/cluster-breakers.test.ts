import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { RedisClusterStore } from '../../../src/stores/redis/redis-cluster-store.js';
import { type ClusterHandle, startRedisCluster } from '../../helpers/servers.js';

const run = promisify(execFile);
const PREFIX = 'brk:';
const WINDOW_MS = 1000;
const WORKERS = 16;

let cluster: ClusterHandle;
beforeAll(async () => {
  cluster = await startRedisCluster();
  // Healthy masters keep serving their slots once the dead one is marked failed (after node-timeout).
  for (const n of cluster.nodes) {
    await run('redis-cli', ['-p', String(n.port), 'CONFIG', 'SET', 'cluster-require-full-coverage', 'no']);
  }
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

interface Window {
  healthyHitsPerSec: number;
  deadCalls: number;
  failedCalls: number;
  worstDeadMs: number;
}

/** `WORKERS` loops of getOrSet over `keys` for one window; hits on `healthy` keys are reads L2 answered. */
async function measure(cache: Cache, keys: string[], healthy: Set<string>): Promise<Window> {
  const w: Window = { healthyHitsPerSec: 0, deadCalls: 0, failedCalls: 0, worstDeadMs: 0 };
  let hits = 0;
  const end = performance.now() + WINDOW_MS;
  const worker = async (offset: number): Promise<void> => {
    for (let i = offset; performance.now() < end; i++) {
      const key = keys[i % keys.length]!;
      let loaded = false;
      const t0 = performance.now();
      try {
        await cache.getOrSet(key, async () => {
          loaded = true;
          return `loaded ${key}`;
        });
      } catch {
        w.failedCalls++;
      }
      if (healthy.has(key)) {
        if (!loaded) hits++;
      } else {
        w.deadCalls++;
        w.worstDeadMs = Math.max(w.worstDeadMs, performance.now() - t0);
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(i)));
  w.healthyHitsPerSec = Math.round((hits * 1000) / WINDOW_MS);
  return w;
}

describe('Cache over a Redis Cluster with one master SIGKILLed', () => {
  it('keeps L2 hits on the healthy masters (one breaker per master)', async () => {
    const store = new RedisClusterStore({ rootNodes: cluster.rootNodes }, { commandTimeoutMs: 500 });
    await store.ready();
    const victim = cluster.nodes[0]!;
    const victimAddress = `127.0.0.1:${victim.port}`;
    const writer = new Cache({ l2: store, l1: false, prefix: PREFIX });
    const keys = Array.from({ length: 300 }, (_, i) => `key${i}`);
    for (const k of keys) await writer.set(k, k);
    const healthy = new Set(keys.filter((k) => store.nodeFor(PREFIX + k) !== victimAddress));
    expect(healthy.size).toBeGreaterThan(100);
    expect(healthy.size).toBeLessThan(keys.length - 50);
    // The dead master's keys in one run, so its failures come in a row as in a burst of traffic on them
    // (interleaved with healthy successes, a shared breaker's count of consecutive failures would reset).
    const order = [...keys.filter((k) => !healthy.has(k)), ...healthy];

    // No L1: every read of a healthy key is an L2 call, so its hits measure the L2 left to it.
    const cache = new Cache({ l2: store, l1: false, prefix: PREFIX });
    try {
      const before = await measure(cache, order, healthy);
      await victim.kill();
      const after = await measure(cache, order, healthy);
      console.log(
        `healthy-slot L2 hits/s: before ${before.healthyHitsPerSec}, after kill ${after.healthyHitsPerSec}; ` +
          `dead-slot calls ${after.deadCalls}, worst ${after.worstDeadMs.toFixed(1)} ms; failed ${after.failedCalls}; ` +
          `breakers ${JSON.stringify(cache.stats().l2CircuitOpenByNode)}`,
      );
      expect(before.failedCalls + after.failedCalls).toBe(0);
      expect(after.deadCalls).toBeGreaterThan(0);
      // The L2 timeout (100 ms) plus the loader, with margin for a loaded machine.
      expect(after.worstDeadMs).toBeLessThan(400);
      expect(after.healthyHitsPerSec).toBeGreaterThan(before.healthyHitsPerSec * 0.5);
      expect(cache.stats().l2CircuitOpenByNode?.[victimAddress]).toBe(true);
      const others = Object.entries(cache.stats().l2CircuitOpenByNode ?? {}).filter(
        ([n]) => n !== victimAddress,
      );
      expect(others.length).toBe(2);
      expect(others.every(([, open]) => !open)).toBe(true);
    } finally {
      await cache.close();
      await writer.close();
      await store.close();
    }
  }, 60_000);
});
