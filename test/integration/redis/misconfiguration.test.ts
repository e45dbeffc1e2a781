import { Redis as IORedis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { type CacheError, InvalidOptionError, isCacheError, StoreTimeoutError } from '../../../src/errors.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import { freePort, type ServerHandle, startRedis } from '../../helpers/servers.js';

// A misconfigured L2 must be loud: the real cause in errors, a bounded ready(), one warning, and a
// client the store cannot drive refused up front instead of failing inside every call.
let server: ServerHandle;
let deadUrl: string;
beforeAll(async () => {
  server = await startRedis();
  deadUrl = `redis://127.0.0.1:${await freePort()}`; // nothing listens there
});
afterAll(async () => {
  await server?.stop();
});

describe('a Redis L2 that cannot connect', () => {
  it('ready({ timeoutMs }) rejects with the connection error as the cause', async () => {
    const store = new RedisStore({ url: deadUrl });
    try {
      const err = (await store.ready({ timeoutMs: 300 }).catch((e: unknown) => e)) as CacheError;
      expect(isCacheError(err)).toBe(true);
      expect(err.code).toBe('ERR_CACHE_STORE_NOT_READY');
      expect(err.message).toMatch(/did not connect within 300 ms: .*ECONNREFUSED/);
      expect((err.cause as Error).message).toMatch(/ECONNREFUSED/);
    } finally {
      await store.close();
    }
  });

  it('ready({ signal }) rejects when the signal aborts, and validates its options', async () => {
    const store = new RedisStore({ url: deadUrl });
    try {
      const ac = new AbortController();
      const pending = store.ready({ signal: ac.signal });
      ac.abort();
      await expect(pending).rejects.toMatchObject({ code: 'ERR_CACHE_STORE_NOT_READY' });
      expect(() => store.ready({ timeoutMs: -1 })).toThrow(InvalidOptionError);
      expect(() => store.ready({ signal: 'soon' as never })).toThrow(/AbortSignal/);
    } finally {
      await store.close();
    }
  });

  it('ready({ timeoutMs }) resolves against a live server', async () => {
    const store = new RedisStore({ url: server.url });
    await store.ready({ timeoutMs: 5000 });
    expect(store.connectionError).toBeUndefined();
    await store.close();
  });

  it('names the real cause on the cache `error` event and warns once when it never connects', async () => {
    const store = new RedisStore({ url: deadUrl });
    const cache = new Cache({ l2: store, l2Timeout: 100 });
    const errors: Error[] = [];
    cache.on('error', ({ error }) => errors.push(error));
    const warnings: Error[] = [];
    const onWarning = (w: Error) => {
      if ((w as { code?: string }).code === 'STRATACACHE_L2_NOT_CONNECTED') warnings.push(w);
    };
    process.on('warning', onWarning);
    try {
      expect(await cache.getOrSet('k', async () => 1)).toBe(1);
      await cache.get('k2');
      const timeout = errors.find((e) => e instanceof StoreTimeoutError);
      expect(timeout?.message).toMatch(/not connected: .*ECONNREFUSED/);
      await vi.waitFor(() => expect(warnings.length).toBe(1), { timeout: 15_000, interval: 200 });
      expect(warnings[0]!.message).toMatch(/has not connected within 5 s .*ECONNREFUSED/);
      await cache.get('k3');
      await new Promise((r) => setTimeout(r, 200));
      expect(warnings.length).toBe(1);
    } finally {
      process.off('warning', onWarning);
      await cache.close();
      await store.close();
    }
  }, 30_000);

  it('drives an ioredis client (it used to fail inside every call), and refuses what it cannot drive', async () => {
    const ioredis = new IORedis(server.url, { lazyConnect: true });
    const store = new RedisStore({ client: ioredis });
    try {
      await store.ready({ timeoutMs: 5000 });
      await store.set('io', new Uint8Array([1, 2]));
      expect([...((await store.get('io')) ?? [])]).toEqual([1, 2]);
      expect(store.connectionError).toBeUndefined();
      const cluster = Object.assign(new IORedis({ lazyConnect: true }), { isCluster: true });
      expect(() => new RedisStore({ client: cluster as never })).toThrow(/got an ioredis Cluster/);
      cluster.disconnect();
      expect(() => new RedisStore({ client: {} as never })).toThrow(InvalidOptionError);
      expect(() => new RedisStore({ client: {} as never })).toThrow(
        /node-redis v5 client .* or an ioredis v5 client .*pass \{ url \}/,
      );
    } finally {
      await store.close();
      ioredis.disconnect();
    }
  });
});
