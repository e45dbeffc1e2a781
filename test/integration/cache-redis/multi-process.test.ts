import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';
import { startWorker, type Worker } from './child.js';

let redis: ServerHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('stampede across processes', () => {
  it('4 processes × 500 concurrent getOrSet on one cold key run the loader once', async () => {
    const workers = await Promise.all(Array.from({ length: 4 }, () => startWorker(redis.url)));
    try {
      const results = await Promise.all(
        workers.map((w) => w.send({ cmd: 'stampede', key: 'cold', n: 500, loaderMs: 100 })),
      );
      const loads = results.reduce((n, r) => n + (r.loads as number), 0);
      expect(loads).toBe(1);
      for (const r of results) {
        expect(r.distinct).toBe(1);
        // Waiters are woken when the value lands, not after a lease expiry; the bound is loose on
        // purpose (4 processes share 2 cores with the rest of the suite), far below the lease TTL.
        expect(r.maxMs as number).toBeLessThan(2000);
      }
      expect(results.filter((r) => (r.lockWaits as number) > 0).length).toBe(3);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  }, 30_000);
});

describe('bus between processes', () => {
  let other: Worker;
  let cache: Cache;
  beforeAll(async () => {
    other = await startWorker(redis.url);
    cache = new Cache({ l2: new RedisStore({ url: redis.url }), bus: true, ttl: 60_000 });
    await new Promise((r) => setTimeout(r, 300));
  });
  afterAll(async () => {
    await other?.stop();
    await cache?.close();
  });

  it('a set on one instance replaces the value in the other instance L1 within 50 ms', async () => {
    await cache.set('k', 'v1');
    expect((await other.send({ cmd: 'get', key: 'k' })).value).toBe('v1');
    await cache.set('k', 'v2');
    const r = await other.send({ cmd: 'waitFor', key: 'k', value: 'v2', timeoutMs: 1000 });
    expect(r.ok).toBe(true);
    expect(r.ms as number).toBeLessThan(50);
  });

  it('a delete and a tag invalidation reach the other instance', async () => {
    await cache.set('d', 'x');
    expect((await other.send({ cmd: 'get', key: 'd' })).value).toBe('x');
    await cache.delete('d');
    expect(
      (await other.send({ cmd: 'waitFor', key: 'd', value: null, timeoutMs: 1000 })).ms as number,
    ).toBeLessThan(50);
    await other.send({ cmd: 'set', key: 't', value: 'tagged', tags: ['group'] });
    expect(await cache.get('t')).toBe('tagged');
    await cache.invalidateTags(['group']);
    expect(
      (await other.send({ cmd: 'waitFor', key: 't', value: null, timeoutMs: 1000 })).ms as number,
    ).toBeLessThan(50);
  });

  it('ignores its own messages and purges L1 when its bus connection is killed', async () => {
    await cache.set('own', 1);
    await new Promise((r) => setTimeout(r, 30));
    expect(cache.stats().entries).toBeGreaterThan(0);
    const resets: number[] = [];
    cache.on('bus:reset', () => resets.push(Date.now()));
    const admin = createClient({ url: redis.url });
    await admin.connect();
    try {
      const list = (await admin.sendCommand(['CLIENT', 'LIST'])) as string;
      const subs = list.split('\n').filter((l) => /sub=[1-9]|psub=[1-9]|ssub=[1-9]/.test(l));
      expect(subs.length).toBeGreaterThanOrEqual(2);
      for (const line of subs) {
        const id = /id=(\d+)/.exec(line)![1]!;
        await admin.sendCommand(['CLIENT', 'KILL', 'ID', id]);
      }
    } finally {
      await admin.close();
    }
    const deadline = Date.now() + 5000;
    while (resets.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(resets.length).toBeGreaterThan(0);
    expect(cache.stats().entries).toBe(0);
    expect((await other.send({ cmd: 'l1size' })).size).toBe(0);
    // Still in sync after the resubscription.
    await cache.set('after', 'a');
    expect((await other.send({ cmd: 'get', key: 'after' })).value).toBe('a');
    await cache.set('after', 'b');
    expect((await other.send({ cmd: 'waitFor', key: 'after', value: 'b', timeoutMs: 1000 })).ok).toBe(true);
  });
});

describe('fencing', () => {
  it('a holder whose event loop stalled past its lease cannot overwrite the newer value', async () => {
    const holder = await startWorker(redis.url, 150);
    const cache = new Cache({
      l2: new RedisStore({ url: redis.url }),
      l1: false,
      prefix: 'sc:',
      stampede: { distributed: true, lease: 150, wait: 3000, poll: 20 },
    });
    try {
      // Connected before the holder starts: on a loaded machine a connect can outlast the 150 ms lease.
      const raw = createClient({ url: redis.url });
      await raw.connect();
      const paused = holder.send({ cmd: 'blockedLoad', key: 'fenced', blockMs: 2000, value: 'stale-holder' });
      // Wait until the holder has taken the lease and it has expired under its stalled loader (no fixed
      // sleep: on a loaded machine the holder may take its lease late).
      try {
        let seen = false;
        const deadline = performance.now() + 10_000;
        for (;;) {
          const locks = await raw.keys('*:lock:*fenced');
          if (locks.length > 0) seen = true;
          else if (seen) break;
          if (performance.now() > deadline)
            throw new Error(`no lease on 'fenced' came and went (seen: ${seen})`);
          await new Promise((r) => setTimeout(r, 10));
        }
      } finally {
        raw.destroy();
      }
      // The stalled holder's lease has expired: this instance is granted a newer one and writes first.
      expect(await cache.getOrSet('fenced', async () => 'newer-holder')).toBe('newer-holder');
      const r = await paused;
      expect(r.value).toBe('stale-holder');
      expect(r.stored).toBe('newer-holder');
      expect(await cache.get('fenced')).toBe('newer-holder');
    } finally {
      await holder.stop();
      await cache.close();
    }
  }, 20_000);
});
