/**
 * StratacacheInterceptor and @Cached in a real Nest application on Express and on Fastify, listening on a
 * loopback port and answered over real HTTP.
 */
import { Cache } from 'stratacache';
import { ManualClock } from 'stratacache/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Adapter, post, request, startApp, type TestApp } from './app.js';

describe.each<Adapter>(['express', 'fastify'])('StratacacheInterceptor on %s', (adapter) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.app.close();
    t = undefined;
  });

  it('answers a GET once from the handler (MISS), then from the cache (HIT)', async () => {
    t = await startApp({ adapter, cache: {} });
    const first = await request(`${t.url}/items/1`);
    const second = await request(`${t.url}/items/1`);
    expect(first).toEqual({ status: 200, xCache: 'MISS', body: { id: '1', name: 'one' } });
    expect(second).toEqual({ status: 200, xCache: 'HIT', body: { id: '1', name: 'one' } });
    expect(t.runs.one).toBe(1);
    // Another URL is another key; a query string is part of the key.
    expect((await request(`${t.url}/items/2`)).xCache).toBe('MISS');
    expect((await request(`${t.url}/items/1?x=1`)).xCache).toBe('MISS');
    expect(t.runs.one).toBe(3);
  });

  it('runs the handler once for concurrent identical GETs', async () => {
    const n = 12;
    t = await startApp({ adapter, cache: {}, expectedSlow: n });
    const replies = await Promise.all(Array.from({ length: n }, () => request(`${t!.url}/slow`)));
    expect(t.runs.slow).toBe(1);
    expect(replies.map((r) => r.body)).toEqual(Array.from({ length: n }, () => ({ n: 1 })));
    expect(replies.filter((r) => r.xCache === 'MISS')).toHaveLength(1);
    expect(replies.filter((r) => r.xCache === 'HIT')).toHaveLength(n - 1);
  });

  it('invalidates tags after a POST succeeds, and not when it fails', async () => {
    t = await startApp({ adapter, cache: {} });
    await request(`${t.url}/items`);
    await request(`${t.url}/items/1`);
    await request(`${t.url}/items/2`);
    expect((await request(`${t.url}/items/1`)).xCache).toBe('HIT');

    // A failed mutation (400) invalidates nothing.
    expect((await post(`${t.url}/items/1`, {})).status).toBe(400);
    expect((await request(`${t.url}/items/1`)).xCache).toBe('HIT');

    // A tag from the request's params: item 1 only.
    expect((await post(`${t.url}/items/1`, { name: 'uno' })).status).toBe(201);
    expect(await request(`${t.url}/items/1`)).toMatchObject({ xCache: 'MISS', body: { name: 'uno' } });
    expect((await request(`${t.url}/items/2`)).xCache).toBe('HIT');
    expect((await request(`${t.url}/items`)).xCache).toBe('HIT');

    // A static tag: every item and the list.
    expect((await post(`${t.url}/items`, { id: '3', name: 'three' })).status).toBe(201);
    expect(await request(`${t.url}/items`)).toMatchObject({
      xCache: 'MISS',
      body: expect.arrayContaining([{ id: '3', name: 'three' }]),
    });
    expect((await request(`${t.url}/items/2`)).xCache).toBe('MISS');
  });

  it('does not cache other methods', async () => {
    t = await startApp({ adapter, cache: {} });
    expect((await post(`${t.url}/items`, { id: '9', name: 'nine' })).xCache).toBeNull();
    expect((await post(`${t.url}/items`, { id: '9', name: 'nine' })).xCache).toBeNull();
  });

  it('serves STALE within staleWhileRevalidate and refreshes in the background', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, ttl: 1_000, staleWhileRevalidate: 60_000 });
    t = await startApp({ adapter, cache });
    expect((await request(`${t.url}/flaky`)).body).toEqual({ n: 1 });
    clock.advance(2_000);
    expect(await request(`${t.url}/flaky`)).toMatchObject({ xCache: 'STALE', body: { n: 1 } });
    await vi.waitFor(() => expect(t!.runs.flaky).toBe(2));
    await vi.waitFor(async () =>
      expect(await request(`${t!.url}/flaky`)).toMatchObject({ xCache: 'HIT', body: { n: 2 } }),
    );
    await t.app.close();
    t = undefined;
    await cache.close();
  });

  it('serves STALE (fail-safe) when the handler throws within grace', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, ttl: 1_000, grace: 60_000 });
    t = await startApp({ adapter, cache });
    expect((await request(`${t.url}/flaky`)).body).toEqual({ n: 1 });
    clock.advance(2_000);
    t.failFlaky.on = true;
    expect(await request(`${t.url}/flaky`)).toMatchObject({ status: 200, xCache: 'STALE', body: { n: 1 } });
    // Past grace the error reaches the client.
    clock.advance(120_000);
    expect((await request(`${t.url}/flaky`)).status).toBe(500);
    await t.app.close();
    t = undefined;
    await cache.close();
  });

  it('caches a @Cached service method with getOrSet and invalidates it by tag', async () => {
    t = await startApp({ adapter, cache: {} });
    const first = await request(`${t.url}/service/1`);
    expect(first).toEqual({ status: 200, xCache: null, body: { id: '1', name: 'one', via: 'service' } });
    await request(`${t.url}/service/1`);
    expect(await t.lookup('1')).toEqual(first.body);
    expect(t.runs.service).toBe(1);
    // The POST's `item:1` tag is the service entry's tag too.
    await post(`${t.url}/items/1`, { name: 'uno' });
    expect((await request(`${t.url}/service/1`)).body).toMatchObject({ name: 'uno' });
    expect(t.runs.service).toBe(2);
  });
});
