import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import { sleep } from '../../helpers/clock.js';
import { type FaultProxy, startFaultProxy } from '../../helpers/fault-proxy.js';
import { reportFigure } from '../../helpers/figures.js';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';

function p99(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]!;
}

let redis: ServerHandle;
let proxy: FaultProxy;
beforeAll(async () => {
  redis = await startRedis();
  proxy = await startFaultProxy({ port: redis.port });
});
afterAll(async () => {
  await proxy?.stop();
  await redis?.stop();
});

/** A Cache whose L2 traffic crosses the fault proxy. */
function cacheThroughProxy(options: ConstructorParameters<typeof Cache>[0] = {}): Cache {
  return new Cache({
    l2: new RedisStore({ url: `redis://127.0.0.1:${proxy.port}` }, { commandTimeoutMs: 300 }),
    ...options,
  });
}

describe('Cache through the TCP fault proxy', () => {
  it('with +200 ms on every L2 reply, reads stay bounded and a slow loader is covered by the soft timeout', async () => {
    await proxy.heal();
    const cache = cacheThroughProxy({
      ttl: 100,
      grace: 60_000,
      timeouts: { soft: 30 },
      l1: { maxEntries: 1000 },
    });
    for (let i = 0; i < 20; i++) await cache.set(`k${i}`, `v${i}`);
    await sleep(150);
    proxy.latency(200, 20);
    const times: number[] = [];
    const values = await Promise.all(
      Array.from({ length: 200 }, async (_, n) => {
        const key = `k${n % 20}`;
        const t0 = performance.now();
        const v = await cache.getOrSet(key, async () => {
          await sleep(150);
          return `fresh${n % 20}`;
        });
        times.push(performance.now() - t0);
        return [key, v] as const;
      }),
    );
    for (const [key, v] of values) expect([`v${key.slice(1)}`, `fresh${key.slice(1)}`]).toContain(v);
    // An L2 read gives up after l2Timeout (100 ms), then the soft timeout (30 ms) serves the stale L1 copy.
    reportFigure('p99 read', p99(times), 'ms');
    expect(p99(times)).toBeLessThan(100 + 30 + 100);
    expect(cache.stats().stale.softTimeout).toBeGreaterThan(0);
    expect(cache.stats().tiers.l2.errors).toBeGreaterThan(0);
    await proxy.heal();
    await cache.close();
  });

  it('a blackholed L2 is detected within the operation timeout, and the store reconnects after it heals', async () => {
    await proxy.heal();
    const cache = cacheThroughProxy({ l1: false });
    await cache.set('warm', 'w');
    expect(await cache.get('warm')).toBe('w');
    proxy.blackhole();
    const times: number[] = [];
    let failed = 0;
    for (let i = 0; i < 40; i++) {
      const t0 = performance.now();
      try {
        expect(await cache.getOrSet(`b${i % 5}`, async () => 'loaded')).toBe('loaded');
      } catch {
        failed++;
      }
      times.push(performance.now() - t0);
    }
    reportFigure('failed calls', failed, 'calls');
    reportFigure('worst call', Math.max(...times), 'ms');
    expect(failed).toBe(0);
    expect(Math.max(...times)).toBeLessThan(300);
    expect(cache.stats().l2CircuitOpen || cache.stats().tiers.l2.errors > 0).toBe(true);
    await proxy.heal();
    const deadline = Date.now() + 8000;
    let back = false;
    while (!back && Date.now() < deadline) {
      await sleep(100);
      back = (await cache.get('warm')) === 'w';
    }
    expect(back).toBe(true);
    await cache.close();
  }, 20_000);

  it('a reply truncated mid-frame never yields a corrupt value', async () => {
    await proxy.heal();
    const cache = cacheThroughProxy({ l1: false });
    const big = { text: 'y'.repeat(50_000), n: 42 };
    const errors: string[] = [];
    cache.on('error', (e) => errors.push(e.error.message));
    await cache.set('big', big);
    for (const then of ['reset', 'hang'] as const) {
      proxy.truncateNext(1000, then);
      const got = await cache.get<typeof big>('big');
      expect(got === undefined || (got.text.length === 50_000 && got.n === 42)).toBe(true);
      await proxy.heal();
      const deadline = Date.now() + 5000;
      let again: typeof big | undefined;
      while (again === undefined && Date.now() < deadline) {
        again = await cache.get<typeof big>('big');
        if (again === undefined) await sleep(50);
      }
      expect({ then, again, errors: errors.slice(-5) }).toEqual({
        then,
        again: big,
        errors: errors.slice(-5),
      });
    }
    reportFigure('corrupt values', cache.stats().corrupt, 'values');
    expect(cache.stats().corrupt).toBe(0);
    await cache.close();
  }, 20_000);
});
