import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCacheError, StoreError } from '../../../src/errors.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';
import { eventually, sleep } from './targets.js';

const enc = new TextEncoder();

/** Runs `op`, returning how long it took and how it ended. */
async function timed(op: () => Promise<unknown>): Promise<{ ms: number; error?: unknown }> {
  const t0 = performance.now();
  try {
    await op();
    return { ms: performance.now() - t0 };
  } catch (error) {
    return { ms: performance.now() - t0, error };
  }
}

describe('RedisStore when its server is SIGKILLed and restarted', () => {
  let server: ServerHandle;
  let store: RedisStore;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  const errors: StoreError[] = [];

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await startRedis();
    store = new RedisStore({ url: server.url }, { prefix: 'f:', onError: (e) => errors.push(e) });
    await store.ready();
  });

  afterAll(async () => {
    await store?.close();
    await server?.stop();
    process.off('unhandledRejection', onUnhandled);
  });

  it('rejects every operation quickly with a typed error, then recovers on the same store', async () => {
    await store.set('k', enc.encode('before'), 60_000);
    const bus = store.createBus('b');
    let resets = 0;
    await bus.subscribe(
      () => {},
      () => {
        resets++;
      },
    );
    const lock = store.createLock('l:');

    await server.kill();
    const ops: Array<() => Promise<unknown>> = [
      () => store.get('k'),
      // Gets of one tick share an MGET: each of them fails, none hangs.
      async () => {
        const outcomes = await Promise.allSettled(['k', 'j', 'k'].map((key) => store.get(key)));
        const failed = outcomes.filter((o) => o.status === 'rejected');
        if (failed.length !== outcomes.length) throw new Error('a batched get succeeded on a dead server');
        throw (failed[0] as PromiseRejectedResult).reason;
      },
      () => store.getMany(['k', 'j']),
      () => store.set('k', enc.encode('x'), 1000),
      () => store.setMany([{ key: 'a', value: enc.encode('1') }]),
      () => store.delete('k'),
      () => store.deleteMany(['k']),
      () => store.has('k'),
      () => store.touch('k', 1000),
      () => store.clear(''),
      async () => {
        for await (const _ of store.scan('*')) break;
      },
      () => store.incr('n'),
      () => store.setMax('t', 5),
      () => store.getNumbers(['n']),
      () => lock.acquire('k', 1000),
      () => bus.publish({ v: 1, type: 'clear', ts: 1, from: 'x' }),
    ];
    for (let round = 0; round < 3; round++) {
      for (const op of ops) {
        const r = await timed(op);
        expect(r.error, `op ${op.toString().slice(0, 60)} must fail`).toBeInstanceOf(StoreError);
        expect(isCacheError(r.error)).toBe(true);
        expect((r.error as StoreError).code).toMatch(/^ERR_CACHE_STORE/);
        expect(r.ms).toBeLessThan(500);
      }
      await sleep(100);
    }
    // A waiter on a dead server is bounded by its own timeout, and never rejects.
    const w = await timed(() => lock.wait('k', 200));
    expect(w.error).toBeUndefined();
    expect(w.ms).toBeLessThan(1500);

    await server.restart();
    const back = performance.now();
    expect(
      await eventually(
        async () => (await timed(() => store.set('k', enc.encode('after')))).error === undefined,
        5000,
      ),
    ).toBe(true);
    expect(performance.now() - back).toBeLessThan(3000);
    expect(Buffer.from((await store.get('k'))!).toString()).toBe('after');
    const batch = await Promise.all(['k', 'j', 'k'].map((key) => store.get(key)));
    expect(batch.map((v) => (v === undefined ? v : Buffer.from(v).toString()))).toEqual([
      'after',
      undefined,
      'after',
    ]);
    expect(await eventually(() => resets >= 1, 5000)).toBe(true);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e instanceof StoreError)).toBe(true);
    expect(store.stats.connectionErrors).toBeGreaterThan(0);
    await sleep(50);
    expect(unhandled).toEqual([]);
  });

  it('after close, rejects with ClosedError and close is idempotent', async () => {
    const s = new RedisStore({ url: server.url });
    await s.ready();
    await s.close();
    await s.close();
    await expect(s.get('x')).rejects.toMatchObject({ code: 'ERR_CACHE_CLOSED' });
  });

  it('treats values written by someone else as plain bytes, and a wrong type as a StoreError', async () => {
    const s = new RedisStore({ url: server.url });
    await s.ready();
    const raw = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80]);
    await s.set('foreign', raw);
    expect(Buffer.from((await s.get('foreign'))!).equals(raw)).toBe(true);
    const huge = Buffer.alloc(5 * 1024 * 1024, 0xab);
    await s.set('huge', huge);
    expect(Buffer.from((await s.get('huge'))!).equals(huge)).toBe(true);
    const { execFile } = await import('node:child_process');
    await new Promise((resolve, reject) =>
      execFile('redis-cli', ['-p', String(server.port), 'HSET', 'ahash', 'f', 'v'], (e) =>
        e ? reject(e) : resolve(0),
      ),
    );
    await expect(s.get('ahash')).rejects.toBeInstanceOf(StoreError);
    expect((await s.getMany(['ahash', 'foreign']))[1]).toBeDefined();
    await s.close();
  });
});

describe('RedisStore over a borrowed client', () => {
  it('uses the client, counts its errors, and leaves it open on close', async () => {
    const server = await startRedis();
    const { createClient } = await import('@redis/client');
    const client = createClient({ url: server.url, disableOfflineQueue: true });
    const store = new RedisStore({ client }, { prefix: 'b:' });
    try {
      await store.ready();
      await store.set('x', enc.encode('1'));
      expect(await client.get('b:x')).toBe('1');
      const bus = store.createBus('c');
      await bus.subscribe(
        () => {},
        () => {},
      );
      await store.close();
      expect(client.isOpen).toBe(true);
      expect(await client.get('b:x')).toBe('1');
    } finally {
      client.destroy();
      await server.stop();
    }
  });
});
