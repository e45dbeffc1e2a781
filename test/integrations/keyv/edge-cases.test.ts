/**
 * The "bad input and faults" of issue 14 on the Keyv path: what Keyv hands the adapter (its serialized
 * `{ value, expires }` string, or the raw object with `createKeyv`), its TTLs of 0 / negative / undefined,
 * two namespaces over one cache, a closed cache and Redis killed: each a documented result, never a hang.
 */
import Keyv from 'keyv';
import { Cache, isCacheError } from 'stratacache';
import { createKeyv, KeyvStratacache } from 'stratacache/keyv';
import { RedisStore } from 'stratacache/redis';
import { ManualClock } from 'stratacache/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reportFigure } from '../../helpers/figures.js';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';

describe('values Keyv hands over', () => {
  let redis: ServerHandle;
  let cache: Cache;
  beforeAll(async () => {
    redis = await startRedis();
    cache = new Cache({ l1: false, l2: new RedisStore({ url: redis.url }) });
  });
  afterAll(async () => {
    await cache.close();
    await redis.stop();
  });

  it('a stock Keyv stores its serialized string; it round-trips through Redis', async () => {
    const keyv = new Keyv({ store: new KeyvStratacache(cache), namespace: 'str' });
    await keyv.set('k', { n: 1, s: 'x' }, 60_000);
    const raw = await cache.namespace('str').get<string>('k');
    expect(typeof raw).toBe('string');
    expect(JSON.parse(raw!)).toMatchObject({ value: { n: 1, s: 'x' }, expires: expect.any(Number) });
    expect(await keyv.get('k')).toEqual({ n: 1, s: 'x' });
  });

  it('createKeyv stores the raw { value, expires } object, encoded once by the cache', async () => {
    const keyv = createKeyv(cache, { namespace: 'obj' });
    await keyv.set('k', { n: 1, d: [1, 2] }, 60_000);
    const raw = await cache.namespace('obj').get<{ value: unknown; expires: number }>('k');
    expect(raw).toMatchObject({ value: { n: 1, d: [1, 2] }, expires: expect.any(Number) });
    expect(await keyv.get('k')).toEqual({ n: 1, d: [1, 2] });
    await keyv.set('m', 'plain string');
    expect(await keyv.get('m')).toBe('plain string');
    expect(await keyv.getMany(['k', 'm', 'absent'])).toEqual([
      { n: 1, d: [1, 2] },
      'plain string',
      undefined,
    ]);
  });

  it('createKeyv keeps what the cache serializer keeps (Date, Map, BigInt with the default tagged JSON)', async () => {
    const keyv = createKeyv(cache, { namespace: 'tagged' });
    const value = { at: new Date(0), m: new Map([['a', 1]]), big: 10n };
    await keyv.set('k', value);
    expect(await keyv.get('k')).toEqual(value);
  });

  it('mixing both on one namespace works one way only: a stock Keyv reads createKeyv entries, not back', async () => {
    const stock = new Keyv({ store: new KeyvStratacache(cache), namespace: 'mixed' });
    const fast = createKeyv(cache, { namespace: 'mixed' });
    await fast.set('a', { v: 1 });
    await stock.set('b', { v: 2 });
    // Keyv deserializes only strings, so the stock Keyv takes the stored object as is...
    expect(await stock.get('a')).toEqual({ v: 1 });
    // ...while one without a deserializer has no way to read the stock Keyv's string: a miss.
    expect(await fast.get('b')).toBeUndefined();
  });
});

describe('Keyv TTLs', () => {
  const clock = new ManualClock();
  const cache = new Cache({ clock });
  afterAll(() => cache.close());
  const keyv = (opts: { ttl?: number } = {}): Keyv =>
    new Keyv({ store: new KeyvStratacache(cache), namespace: `ttl${Math.random()}`, ...opts });

  it('ttl undefined or 0 never expires (Keyv: "0 or undefined is no expiry")', async () => {
    const k = keyv();
    await k.set('u', 1);
    await k.set('z', 2, 0);
    clock.advance(10 * 365 * 24 * 3600_000);
    expect(await k.get('u')).toBe(1);
    expect(await k.get('z')).toBe(2);
  });

  it('the adapter ttl option bounds entries Keyv gives no TTL', async () => {
    const k = new Keyv({ store: new KeyvStratacache(cache, { ttl: 1_000 }), namespace: 'bounded' });
    await k.set('u', 1);
    await k.set('z', 2, 0);
    clock.advance(1_001);
    expect(await k.get('u')).toBeUndefined();
    expect(await k.get('z')).toBeUndefined();
  });

  it('a positive ttl is milliseconds, applied by the cache as well as by Keyv', async () => {
    const k = keyv();
    await k.set('p', 1, 5_000);
    clock.advance(4_999);
    expect(await k.has('p')).toBe(true);
    clock.advance(2);
    // Keyv's own expiry reads Date.now(), which did not move: this miss is the cache's TTL.
    expect(await k.get('p')).toBeUndefined();
  });

  it("Keyv's default ttl applies when set() has none", async () => {
    const k = keyv({ ttl: 2_000 });
    await k.set('d', 1);
    clock.advance(2_001);
    expect(await k.get('d')).toBeUndefined();
  });

  it('a negative ttl is already expired: the key is deleted, not stored', async () => {
    const k = keyv();
    await k.set('n', 1);
    expect(await k.set('n', 2, -1)).toBe(true);
    expect(await k.get('n')).toBeUndefined();
    await k.setMany([
      { key: 'a', value: 1, ttl: -5 },
      { key: 'b', value: 2 },
    ]);
    expect(await k.get(['a', 'b'])).toEqual([undefined, 2]);
  });

  it('a bad adapter ttl option is an InvalidOptionError', () => {
    for (const ttl of [0, -1, Number.NaN]) {
      expect(() => new KeyvStratacache(cache, { ttl })).toThrow(
        expect.objectContaining({ code: 'ERR_CACHE_INVALID_OPTION' }),
      );
    }
  });
});

describe('two Keyv namespaces over one cache', () => {
  let redis: ServerHandle;
  let cache: Cache;
  beforeAll(async () => {
    redis = await startRedis();
    cache = new Cache({ l2: new RedisStore({ url: redis.url }) });
  });
  afterAll(async () => {
    await cache.close();
    await redis.stop();
  });

  it('the same key in two namespaces does not collide; clear() of one leaves the other', async () => {
    const a = new Keyv({ store: new KeyvStratacache(cache), namespace: 'a' });
    const b = new Keyv({ store: new KeyvStratacache(cache), namespace: 'b' });
    await a.set('k', 'from a');
    await b.set('k', 'from b');
    await cache.set('k', 'root');
    expect(await a.get('k')).toBe('from a');
    expect(await b.get('k')).toBe('from b');
    await a.clear();
    expect(await a.get('k')).toBeUndefined();
    expect(await b.get('k')).toBe('from b');
    expect(await cache.get('k')).toBe('root');
  });

  it('the prefix is neither doubled nor lost: `ns:key` is `key` in cache.namespace(ns)', async () => {
    const a = new Keyv({ store: new KeyvStratacache(cache), namespace: 'users' });
    await a.set('42', 'ada');
    expect(await cache.namespace('users').has('42')).toBe(true);
    expect(await cache.namespace('users').has('users:42')).toBe(false);
    // A second process (a fresh L1) reading the same Redis sees it under the same name.
    const other = new Cache({ l2: new RedisStore({ url: redis.url }) });
    try {
      const b = new Keyv({ store: new KeyvStratacache(other), namespace: 'users' });
      expect(await b.get('42')).toBe('ada');
    } finally {
      await other.close();
    }
  });

  it('useKeyPrefix: false stores the bare key in the namespace', async () => {
    const a = new Keyv({ store: new KeyvStratacache(cache), namespace: 'bare', useKeyPrefix: false });
    await a.set('x', 1);
    expect(await cache.namespace('bare').has('x')).toBe(true);
    expect(await a.get('x')).toBe(1);
  });
});

describe('faults', () => {
  it('a closed cache: Keyv reads miss, writes resolve false with a ClosedError event; throwOnErrors rejects', async () => {
    const cache = new Cache();
    const keyv = new Keyv({ store: new KeyvStratacache(cache) });
    await keyv.set('k', 1);
    await cache.close();
    const errors: unknown[] = [];
    keyv.on('error', (e: unknown) => errors.push(e));
    expect(await keyv.get('k')).toBeUndefined();
    expect(await keyv.set('k', 2)).toBe(false);
    expect(errors).toEqual([expect.objectContaining({ code: 'ERR_CACHE_CLOSED' })]);
    const strict = new Keyv({ store: new KeyvStratacache(cache), throwOnErrors: true });
    await expect(strict.get('k')).rejects.toMatchObject({ code: 'ERR_CACHE_CLOSED' });
    await expect(strict.set('k', 1)).rejects.toMatchObject({ code: 'ERR_CACHE_CLOSED' });
  });

  it('a non-cache argument is an InvalidOptionError', () => {
    expect(() => new KeyvStratacache(null as unknown as Cache)).toThrow(
      expect.objectContaining({ code: 'ERR_CACHE_INVALID_OPTION' }),
    );
  });

  describe('Redis killed', () => {
    let redis: ServerHandle;
    let cache: Cache;
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => {
      unhandled.push(e);
    };
    beforeAll(async () => {
      process.on('unhandledRejection', onUnhandled);
      redis = await startRedis();
      cache = new Cache({ l2: new RedisStore({ url: redis.url }), l2Timeout: 100 });
    });
    afterEach(() => expect(unhandled).toEqual([]));
    afterAll(async () => {
      process.off('unhandledRejection', onUnhandled);
      await cache.close();
      await redis.stop();
    });

    it('L1 keeps answering what it holds and what is written meanwhile; nothing hangs', async () => {
      const keyv = new Keyv({ store: new KeyvStratacache(cache), namespace: 'down' });
      const errors: unknown[] = [];
      keyv.on('error', (e: unknown) => errors.push(e));
      await keyv.set('held', 'v');
      await redis.kill();
      const started = performance.now();
      const results: unknown[] = [];
      for (let i = 0; i < 50; i++) {
        results.push(await keyv.get('held'));
        await keyv.set(`new${i}`, i);
        results.push(await keyv.get(`new${i}`));
        await keyv.get(`never${i}`);
      }
      // 200 operations against a dead Redis: the l2Timeout and the circuit breaker bound each one.
      const elapsed = performance.now() - started;
      reportFigure('200 operations against dead Redis', elapsed, 'ms');
      expect(elapsed).toBeLessThan(10_000);
      expect(results.filter((r, i) => (i % 2 === 0 ? r !== 'v' : r !== (i - 1) / 2))).toEqual([]);
      expect(errors.every((e) => isCacheError(e))).toBe(true);
      await redis.restart();
    });
  });
});
