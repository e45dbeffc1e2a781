/**
 * Two Nest applications (one on Express, one on Fastify) over one real Redis, kept in sync by the bus; and
 * an application whose Redis is killed mid-traffic, which keeps answering (from L1, or by running the
 * handler) within a bound instead of hanging.
 */
import { Cache } from 'stratacache';
import { RedisStore } from 'stratacache/redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';
import { post, request, startApp, type TestApp } from './app.js';

describe('two applications on one Redis', () => {
  let redis: ServerHandle;
  let a: TestApp;
  let b: TestApp;
  let cacheB: Cache;
  beforeAll(async () => {
    redis = await startRedis();
    const db = new Map([
      ['1', 'one'],
      ['2', 'two'],
    ]);
    // A: the module creates (and closes) its cache from options; B: handed a ready one.
    a = await startApp({
      adapter: 'express',
      db,
      cache: { l2: new RedisStore({ url: redis.url }), bus: true },
    });
    cacheB = new Cache({ l2: new RedisStore({ url: redis.url }), bus: true });
    b = await startApp({ adapter: 'fastify', db, cache: cacheB });
  });
  afterAll(async () => {
    await a?.app.close();
    await b?.app.close();
    await cacheB?.close();
    await redis?.stop();
  });

  it('shares entries through L2 and invalidations through the bus', async () => {
    expect(await request(`${a.url}/items/1`)).toMatchObject({ xCache: 'MISS', body: { name: 'one' } });
    // B never ran the handler: it found A's entry in Redis.
    expect(await request(`${b.url}/items/1`)).toMatchObject({ xCache: 'HIT', body: { name: 'one' } });
    expect(b.runs.one).toBe(0);
    expect((await request(`${a.url}/items/1`)).xCache).toBe('HIT');

    // A POST on B invalidates `item:1` on both: A's L1 copy goes too.
    expect((await post(`${b.url}/items/1`, { name: 'uno' })).status).toBe(201);
    await vi.waitFor(async () =>
      expect((await request(`${a.url}/items/1`)).body).toMatchObject({ name: 'uno' }),
    );
    expect((await request(`${b.url}/items/1`)).body).toMatchObject({ name: 'uno' });
    expect(a.runs.one + b.runs.one).toBe(2);

    // @Cached service entries are shared and invalidated alike.
    expect(await a.lookup('2')).toMatchObject({ name: 'two' });
    expect(await b.lookup('2')).toMatchObject({ name: 'two' });
    expect(a.runs.service + b.runs.service).toBe(1);
    await post(`${a.url}/items/2`, { name: 'dos' });
    await vi.waitFor(async () => expect(await b.lookup('2')).toMatchObject({ name: 'dos' }));
  });
});

describe('Redis killed mid-traffic', () => {
  let redis: ServerHandle;
  let t: TestApp;
  let cache: Cache;
  beforeAll(async () => {
    redis = await startRedis();
    cache = new Cache({ l2: new RedisStore({ url: redis.url }), bus: true, l2Timeout: 100 });
    t = await startApp({ adapter: 'express', cache });
  });
  afterAll(async () => {
    await t?.app.close();
    await cache?.close();
    await redis?.stop();
  });

  it('keeps answering every request, bounded, while Redis is down and after it is back', async () => {
    const round = async (ids: string[]): Promise<void> => {
      const started = Date.now();
      const replies = await Promise.all(ids.map((id) => request(`${t.url}/items/${id}`)));
      for (const r of replies) expect(r.status).toBe(200);
      // request() aborts at 10 s; an L2 outage costs at most l2Timeout per call, far below.
      expect(Date.now() - started).toBeLessThan(5_000);
    };
    await round(['1', '2', '1', '2']);
    const runsBefore = t.runs.one;
    const down = redis.kill();
    // Traffic goes on while the server dies: warm keys, and cold ones whose handler must run.
    await round(['1', '2', 'a', 'b', '1', '2']);
    await down;
    for (let i = 0; i < 5; i++) await round(['1', '2', `cold-${i}`]);
    // Warm keys stayed in L1 (the handler did not rerun for 1 and 2); cold keys ran their handler.
    expect((await request(`${t.url}/items/1`)).xCache).toBe('HIT');
    expect(t.runs.one).toBeGreaterThanOrEqual(runsBefore + 7);
    await redis.restart();
    await vi.waitFor(() => round(['1', 'after']), { timeout: 10_000 });
  });
});
