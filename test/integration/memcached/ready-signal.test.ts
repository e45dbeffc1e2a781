/**
 * The memcached client redials a server that went away in the background and signals when it is back
 * (`onReady`), so a `Cache` probes its breaker at once: L2 writes resume within tens of ms of the restart
 * (they took 0.7–1.5 s before, behind a fail-fast backoff doubling to 2 s and the breaker's reset grid).
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { ShardedStore } from '../../../src/distributed/sharded-store.js';
import { StoreError } from '../../../src/errors.js';
import { MemcachedClient } from '../../../src/stores/memcached/memcached-client.js';
import { MemcachedStore } from '../../../src/stores/memcached/memcached-store.js';
import { eventually, sleep } from '../../helpers/clock.js';
import { reportFigure } from '../../helpers/figures.js';
import { type ServerHandle, startMemcached } from '../../helpers/servers.js';

let mc: ServerHandle;
beforeAll(async () => {
  mc = await startMemcached();
});
afterAll(async () => {
  await mc?.stop();
});

describe('MemcachedStore.onReady', () => {
  it('signals a restarted server without any request, soon after it accepts, and stops at close', async () => {
    const store = new MemcachedStore({ host: mc.host, port: mc.port });
    const readyAt: number[] = [];
    const removed: number[] = [];
    store.onReady((node) => {
      expect(node).toBeUndefined();
      readyAt.push(performance.now());
    });
    const off = store.onReady(() => removed.push(performance.now()));
    off();
    try {
      await store.set('k', new Uint8Array([1]));
      await mc.kill();
      // One request finds the server gone; none is made after it.
      await expect(store.get('k')).rejects.toBeInstanceOf(StoreError);
      await expect(store.get('k')).rejects.toThrow(/unreachable/);
      // Long enough for the redial backoff to reach its cap.
      await sleep(1_000);
      expect(readyAt).toEqual([]);
      await mc.restart();
      const accepted = performance.now();
      expect(await eventually(() => readyAt.length === 1, 3_000)).toBe(true);
      const afterMs = Math.max(0, readyAt[0]! - accepted);
      reportFigure('memcached ready after the restarted server accepts', afterMs, 'ms');
      // The backoff is capped at 100 ms; the bound leaves room for a loaded box.
      expect(afterMs).toBeLessThan(1_000);
      expect(removed).toEqual([]);
      // The restarted server is empty, and reachable again.
      expect(await store.get('k')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('a shared client keeps its other listeners when one store closes', async () => {
    const client = new MemcachedClient({ host: mc.host, port: mc.port });
    const a = new MemcachedStore({ client });
    const b = new MemcachedStore({ client });
    const seen: string[] = [];
    a.onReady(() => seen.push('a'));
    b.onReady(() => seen.push('b'));
    try {
      await a.set('k', new Uint8Array([1]));
      await a.close();
      await mc.kill();
      await expect(b.get('k')).rejects.toBeInstanceOf(StoreError);
      await mc.restart();
      expect(await eventually(() => seen.length > 0, 3_000)).toBe(true);
      expect(seen).toEqual(['b']);
    } finally {
      await b.close();
      await client.close();
    }
  });
});

describe('a Cache over memcached', () => {
  it('serves every call through an outage and writes to L2 again soon after the restart', async () => {
    const store = new MemcachedStore({ host: mc.host, port: mc.port });
    const cache = new Cache({ l1: false, l2: store, ttl: 60_000 });
    const errors: unknown[] = [];
    cache.on('error', (e) => errors.push(e));
    const probe = new MemcachedClient({ host: mc.host, port: mc.port });
    const keys = Array.from({ length: 50 }, (_, i) => `item:${i}`);
    let failed = 0;
    let calls = 0;
    let running = true;
    const worker = async (w: number): Promise<void> => {
      for (let i = w; running; i++) {
        const key = keys[i % keys.length]!;
        const v = await cache.getOrSet(key, async () => ({ key })).catch(() => undefined);
        calls++;
        if (v?.key !== key) failed++;
        await sleep(1);
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    try {
      await sleep(200);
      await mc.kill();
      await sleep(1_500);
      expect(errors.length).toBeGreaterThan(0);
      await mc.restart();
      const accepted = performance.now();
      let writtenAt = 0;
      const written = await eventually(async () => {
        const got = await probe.getMany(keys.map((k) => `sc:${k}`)).catch(() => []);
        if (got.some((v) => v !== undefined)) writtenAt = performance.now();
        return writtenAt > 0;
      }, 5_000);
      expect(written).toBe(true);
      const afterMs = writtenAt - accepted;
      reportFigure('first L2 write after the restarted memcached accepts', afterMs, 'ms');
      expect(afterMs).toBeLessThan(1_500);
    } finally {
      running = false;
      await Promise.all(workers);
      await probe.close();
      await cache.close();
    }
    expect(failed).toBe(0);
    expect(calls).toBeGreaterThan(100);
  });
});

describe('ShardedStore.onReady', () => {
  it("forwards each node store's signal with the node's name", async () => {
    const other = await startMemcached();
    const nodes = { a: new MemcachedStore({ url: mc.url }), b: new MemcachedStore({ url: other.url }) };
    const store = new ShardedStore({ nodes, eject: false });
    const seen: Array<string | undefined> = [];
    store.onReady((node) => seen.push(node));
    try {
      await nodes.b.set('k', new Uint8Array([1]));
      await other.kill();
      await expect(nodes.b.get('k')).rejects.toBeInstanceOf(StoreError);
      await other.restart();
      expect(await eventually(() => seen.length > 0, 3_000)).toBe(true);
      expect(seen).toEqual(['b']);
    } finally {
      await store.close();
      await other.stop();
    }
  });
});

describe('MemcachedClient.close', () => {
  it('stops the background redial of a server that is still down', async () => {
    const gone = await startMemcached();
    const client = new MemcachedClient({ host: gone.host, port: gone.port });
    const seen: number[] = [];
    client.onReady(() => seen.push(1));
    await client.set('k', new Uint8Array([1]));
    await gone.stop();
    const dials = vi.spyOn(net, 'connect');
    try {
      await expect(client.get('k')).rejects.toBeInstanceOf(StoreError);
      await expect(client.get('k')).rejects.toThrow(/unreachable/);
      // Redialling while down, with no request asking for it.
      expect(await eventually(() => dials.mock.calls.length >= 3, 2_000)).toBe(true);
      await client.close();
      const atClose = dials.mock.calls.length;
      await sleep(300);
      expect(dials.mock.calls.length).toBe(atClose);
    } finally {
      dials.mockRestore();
    }
    await expect(client.get('k')).rejects.toMatchObject({ code: 'ERR_CACHE_CLOSED' });
    expect(seen).toEqual([]);
  });
});
