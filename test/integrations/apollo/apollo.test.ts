/**
 * `StratacacheKeyValueCache` under a real Apollo Server 5 over HTTP, against a private Redis: automatic
 * persisted queries (registered on one server, served by hash alone by it and by a second server over the
 * same Redis) and `@apollo/server-plugin-response-cache` (the resolver runs once), plus the TTL mapping.
 */
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import { Cache } from 'stratacache';
import { StratacacheKeyValueCache } from 'stratacache/apollo';
import { RedisStore } from 'stratacache/redis';
import { ManualClock } from 'stratacache/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';
import { type App, post, sha256, startApp, TrackedCache } from './app.js';

let redis: ServerHandle;
const closers: Array<() => Promise<void>> = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await redis.stop();
});

async function serverOverRedis(plugins: Parameters<typeof startApp>[1] = []): Promise<{
  app: App;
  cache: Cache;
  kv: TrackedCache;
}> {
  const cache = new Cache({ l2: new RedisStore({ url: redis.url }), bus: true });
  const kv = new TrackedCache(new StratacacheKeyValueCache(cache.namespace('apollo')));
  const app = await startApp(kv, plugins);
  closers.push(
    () => cache.close(),
    () => app.stop(),
  );
  return { app, cache, kv };
}

describe('automatic persisted queries', () => {
  it('a hash alone is unknown, then registered with its query, then served by hash by both servers', async () => {
    const a = await serverOverRedis();
    const b = await serverOverRedis();
    const query = 'query Hello($n: String!) { hello(name: $n) }';
    const hash = sha256(query);

    const unknown = await post(a.app.url, { hash, variables: { n: 'x' } });
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    const registered = await post(a.app.url, { query, hash, variables: { n: 'a' } });
    expect(registered.body).toEqual({ data: { hello: 'hello a' } });
    await a.kv.settled();
    expect(a.kv.sets).toBe(1);

    expect((await post(a.app.url, { hash, variables: { n: 'b' } })).body).toEqual({
      data: { hello: 'hello b' },
    });
    // Server b never saw the query: it reads the registration from Redis.
    expect((await post(b.app.url, { hash, variables: { n: 'c' } })).body).toEqual({
      data: { hello: 'hello c' },
    });
    // Apollo prefixes APQ keys with `apq:`; they live in the namespace given to the adapter.
    expect(await b.cache.namespace('apollo').get(`apq:${hash}`)).toBe(query);
  });

  it('a wrong hash for a query is refused and nothing is stored', async () => {
    const a = await serverOverRedis();
    const res = await post(a.app.url, { query: '{ hello(name: "z") }', hash: sha256('other') });
    expect(res.body.errors?.[0]?.message).toBe('provided sha does not match query');
    await a.kv.settled();
    expect(a.kv.sets).toBe(0);
  });
});

describe('response cache plugin', () => {
  it('the second identical query is served from the cache: the resolver runs once, `age` is set', async () => {
    const a = await serverOverRedis([responseCachePlugin()]);
    const query = '{ book(id: "1") { id title } }';
    const first = await post(a.app.url, { query });
    expect(first.body).toEqual({ data: { book: { id: '1', title: 'Title 1' } } });
    expect(first.headers.get('age')).toBeNull();
    await a.kv.settled();

    const second = await post(a.app.url, { query });
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('age')).not.toBeNull();
    expect(a.app.runs.get('1')).toBe(1);
  });

  it('a second server over the same Redis serves the cached response without running its resolver', async () => {
    const a = await serverOverRedis([responseCachePlugin()]);
    const b = await serverOverRedis([responseCachePlugin()]);
    const query = '{ book(id: "2") { id title } }';
    await post(a.app.url, { query });
    await a.kv.settled();
    const fromB = await post(b.app.url, { query });
    expect(fromB.body).toEqual({ data: { book: { id: '2', title: 'Title 2' } } });
    expect(fromB.headers.get('age')).not.toBeNull();
    expect(b.app.runs.get('2')).toBeUndefined();
  });
});

describe('TTLs are seconds', () => {
  const clock = new ManualClock();
  const cache = new Cache({ clock });
  afterAll(() => cache.close());
  const kv = new StratacacheKeyValueCache(cache);

  it('ttl: 2 lives 2 s, not 2 ms', async () => {
    await kv.set('s', 'v', { ttl: 2 });
    clock.advance(1_999);
    expect(await kv.get('s')).toBe('v');
    clock.advance(2);
    expect(await kv.get('s')).toBeUndefined();
  });

  it('fractional seconds are honoured', async () => {
    await kv.set('f', 'v', { ttl: 0.5 });
    clock.advance(499);
    expect(await kv.get('f')).toBe('v');
    clock.advance(2);
    expect(await kv.get('f')).toBeUndefined();
  });

  it('no ttl (undefined, null, 0) takes the adapter ttl option (ms), else the cache default', async () => {
    const bounded = new StratacacheKeyValueCache(cache.namespace('bounded'), { ttl: 1_000 });
    await bounded.set('u', 'v');
    await bounded.set('n', 'v', { ttl: null });
    await bounded.set('z', 'v', { ttl: 0 });
    clock.advance(999);
    expect([await bounded.get('u'), await bounded.get('n'), await bounded.get('z')]).toEqual(['v', 'v', 'v']);
    clock.advance(2);
    expect([await bounded.get('u'), await bounded.get('n'), await bounded.get('z')]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    await kv.set('d', 'v', { ttl: null });
    clock.advance(60_000);
    expect(await kv.get('d')).toBe('v');
  });

  it('a negative ttl is already expired: the key is deleted', async () => {
    await kv.set('neg', 'v');
    await kv.set('neg', 'w', { ttl: -1 });
    expect(await kv.get('neg')).toBeUndefined();
  });

  it('NaN or a non-number ttl rejects with InvalidOptionError and stores nothing', async () => {
    await expect(kv.set('nan', 'v', { ttl: Number.NaN })).rejects.toMatchObject({
      code: 'ERR_CACHE_INVALID_OPTION',
    });
    await expect(kv.set('str', 'v', { ttl: '5' as unknown as number })).rejects.toMatchObject({
      code: 'ERR_CACHE_INVALID_OPTION',
    });
    expect(await kv.get('nan')).toBeUndefined();
  });

  it('a bad adapter ttl option or a non-cache is an InvalidOptionError', () => {
    for (const ttl of [0, -1, Number.NaN]) {
      expect(() => new StratacacheKeyValueCache(cache, { ttl })).toThrow(
        expect.objectContaining({ code: 'ERR_CACHE_INVALID_OPTION' }),
      );
    }
    expect(() => new StratacacheKeyValueCache(undefined as unknown as Cache)).toThrow(
      expect.objectContaining({ code: 'ERR_CACHE_INVALID_OPTION' }),
    );
  });
});
