import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidKeyError, InvalidOptionError, StoreError } from '../../../src/errors.js';
import { RateLimiter, RedisCounter, RedisRanking } from '../../../src/redis-helpers/index.js';
import { type Standalone, sleep, standalone } from './setup.js';

let redis: Standalone;
beforeAll(async () => {
  redis = await standalone();
});
afterAll(async () => {
  await redis.stop();
});

describe('RedisRanking', () => {
  it('ranks members highest first, with scores, ranks and sizes', async () => {
    const board = new RedisRanking(redis.client, { key: 'board:1' });
    await board.add('ada', 10);
    await board.add('bob', 30);
    await board.add('cy', 20);
    expect(await board.increment('ada', 25)).toBe(35);
    expect(await board.increment('new', 1.5)).toBe(1.5);
    expect(await board.top(3)).toEqual([
      { member: 'ada', score: 35 },
      { member: 'bob', score: 30 },
      { member: 'cy', score: 20 },
    ]);
    expect(await board.top(100)).toHaveLength(4);
    expect(await board.rank('ada')).toBe(0);
    expect(await board.rank('new')).toBe(3);
    expect(await board.rank('nobody')).toBeUndefined();
    expect(await board.score('cy')).toBe(20);
    expect(await board.score('nobody')).toBeUndefined();
    expect(await board.size()).toBe(4);
    expect(await board.remove('cy')).toBe(true);
    expect(await board.remove('cy')).toBe(false);
    expect(await board.size()).toBe(3);
    await board.clear();
    expect(await board.size()).toBe(0);
  });

  it('orders ties deterministically, and rank agrees with top', async () => {
    const board = new RedisRanking(redis.client, { key: 'board:ties' });
    for (const member of ['m', 'a', 'z', 'q']) await board.add(member, 5);
    await board.add('top', 6);
    const first = await board.top(5);
    expect(first.map((r) => r.member)).toEqual(['top', 'z', 'q', 'm', 'a']);
    for (const [i, row] of first.entries()) expect(await board.rank(row.member)).toBe(i);
    expect(await board.top(5)).toEqual(first);
  });

  it('keeps only the maxSize highest members, also under concurrent writes', async () => {
    const board = new RedisRanking(redis.client, { key: 'board:trim', maxSize: 10 });
    const other = await redis.another();
    const board2 = new RedisRanking(other, { key: 'board:trim', maxSize: 10 });
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? board : board2).add(`p${i}`, (i * 7919) % 1000)),
    );
    expect(await board.size()).toBe(10);
    const expected = Array.from({ length: 200 }, (_, i) => (i * 7919) % 1000)
      .sort((a, b) => b - a)
      .slice(0, 10);
    expect((await board.top(10)).map((r) => r.score)).toEqual(expected);
    await board.add('loser', -1);
    expect(await board.rank('loser')).toBeUndefined();
  });

  it('counts every concurrent increment', async () => {
    const board = new RedisRanking(redis.client, { key: 'board:incr' });
    await Promise.all(Array.from({ length: 100 }, () => board.increment('x', 1)));
    expect(await board.score('x')).toBe(100);
  });

  it('validates members, scores and options', async () => {
    const board = new RedisRanking(redis.client, { key: 'board:bad' });
    await expect(board.add('', 1)).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(board.add('a', Number.NaN)).rejects.toBeInstanceOf(RangeError);
    await expect(board.add('a', Number.POSITIVE_INFINITY)).rejects.toBeInstanceOf(RangeError);
    await expect(board.increment('a', '1' as never)).rejects.toBeInstanceOf(TypeError);
    await expect(board.top(0)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(board.top(1.5)).rejects.toBeInstanceOf(InvalidOptionError);
    expect(() => new RedisRanking(redis.client, { key: '' })).toThrow(InvalidKeyError);
    expect(() => new RedisRanking(redis.client, { key: 'k', maxSize: -1 })).toThrow(InvalidOptionError);
    expect(() => new RedisRanking(redis.client, { key: 'k', max: 1 } as never)).toThrow(InvalidOptionError);
    expect(() => new RedisRanking(redis.client, undefined as never)).toThrow(TypeError);
    expect(await redis.client.exists('board:bad')).toBe(0);
  });
});

describe('RedisCounter.incrementWithCap', () => {
  it('increments up to the cap and refuses the increment that would pass it', async () => {
    const counters = new RedisCounter(redis.client, { prefix: 'cnt:' });
    expect(await counters.incrementWithCap('a', 3, 5)).toEqual({ capped: false, value: 3 });
    expect(await counters.incrementWithCap('a', 3, 5)).toEqual({ capped: true, value: 3 });
    expect(await counters.incrementWithCap('a', 2, 5)).toEqual({ capped: false, value: 5 });
    expect(await counters.incrementWithCap('a', 1, 5)).toEqual({ capped: true, value: 5 });
    expect(await counters.get('a')).toBe(5);
    expect(await counters.get('absent')).toBe(0);
    expect(await counters.delete('a')).toBe(true);
  });

  it('sets the TTL when it creates the counter, and leaves it alone after', async () => {
    const counters = new RedisCounter(redis.client, { prefix: 'cnt:' });
    await counters.incrementWithCap('ttl', 1, 10, { ttl: 60_000 });
    await redis.client.pExpire('cnt:ttl', 30_000);
    await counters.incrementWithCap('ttl', 1, 10, { ttl: 60_000 });
    const ttl = await redis.client.pTTL('cnt:ttl');
    expect(ttl).toBeGreaterThan(20_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    await counters.incrementWithCap('short', 1, 10, { ttl: 100 });
    await sleep(250);
    expect(await counters.get('short')).toBe(0);
  });

  it('never passes the cap under 200 concurrent calls from four connections', async () => {
    const clients = [redis.client, ...(await Promise.all([1, 2, 3].map(() => redis.another())))];
    const counters = clients.map((c) => new RedisCounter(c, { prefix: 'race:' }));
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => counters[i % 4]!.incrementWithCap('k', 1, 37)),
    );
    expect(results.filter((r) => !r.capped)).toHaveLength(37);
    expect(results.every((r) => r.value <= 37)).toBe(true);
    expect(new Set(results.filter((r) => !r.capped).map((r) => r.value)).size).toBe(37);
    expect(await counters[0]!.get('k')).toBe(37);
  });

  it('runs from the script cache, and reloads the script once after SCRIPT FLUSH', async () => {
    const counters = new RedisCounter(redis.client, { prefix: 'flush:' });
    await counters.incrementWithCap('k', 1, 10);
    await redis.client.scriptFlush();
    await redis.client.configResetStat();
    expect(await counters.incrementWithCap('k', 1, 10)).toEqual({ capped: false, value: 2 });
    expect(await counters.incrementWithCap('k', 1, 10)).toEqual({ capped: false, value: 3 });
    const stats = await redis.client.info('commandstats');
    const calls = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    expect(calls('evalsha')).toBe(2);
    expect(calls('eval')).toBe(1);
  });

  it('rejects a counter holding something else with StoreError, and validates its input', async () => {
    const counters = new RedisCounter(redis.client, { prefix: 'cnt:' });
    await redis.client.set('cnt:text', 'hello');
    await expect(counters.incrementWithCap('text', 1, 5)).rejects.toBeInstanceOf(StoreError);
    await expect(counters.get('text')).rejects.toBeInstanceOf(StoreError);
    await expect(counters.incrementWithCap('', 1, 5)).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(counters.incrementWithCap('x', 0, 5)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(counters.incrementWithCap('x', 1.5, 5)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(counters.incrementWithCap('x', 1, -1)).rejects.toBeInstanceOf(RangeError);
    await expect(counters.incrementWithCap('x', 1, 2 ** 60)).rejects.toBeInstanceOf(RangeError);
    await expect(counters.incrementWithCap('x', 1, 5, { ttl: 0 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(counters.incrementWithCap('x', 1, 5, { ttl: 1e12 })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    expect(await redis.client.exists('cnt:x')).toBe(0);
  });
});

describe('RateLimiter', () => {
  for (const mode of ['fixed', 'sliding'] as const) {
    it(`${mode}: allows exactly limit requests per window under concurrency, then again after it`, async () => {
      const clients = [redis.client, ...(await Promise.all([1, 2, 3].map(() => redis.another())))];
      const limiters = clients.map(
        (c) => new RateLimiter(c, { limit: 10, window: 800, mode, prefix: `rl:${mode}:` }),
      );
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => limiters[i % 4]!.limit('ip')));
      const allowed = results.filter((r) => r.allowed);
      expect(allowed).toHaveLength(10);
      expect(allowed.map((r) => r.remaining).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      for (const r of results.filter((x) => !x.allowed)) {
        expect(r.remaining).toBe(0);
        expect(r.resetMs).toBeGreaterThan(0);
        expect(r.resetMs).toBeLessThanOrEqual(800);
      }
      expect((await limiters[0]!.limit('other-ip')).allowed).toBe(true);
      await sleep(900);
      const again = await limiters[1]!.limit('ip');
      expect(again).toMatchObject({ allowed: true, remaining: 9 });
    });
  }

  it('sliding: never lets a window-long interval hold more than limit; fixed restarts at the window end', async () => {
    const sliding = new RateLimiter(redis.client, {
      limit: 5,
      window: 1000,
      mode: 'sliding',
      prefix: 'edge:s:',
    });
    const fixed = new RateLimiter(redis.client, { limit: 5, window: 1000, mode: 'fixed', prefix: 'edge:f:' });
    const burst = async (limiter: RateLimiter, n: number) => {
      const results = await Promise.all(Array.from({ length: n }, () => limiter.limit('u')));
      return results.filter((r) => r.allowed).length;
    };
    expect(await burst(sliding, 1)).toBe(1);
    expect(await burst(fixed, 1)).toBe(1);
    await sleep(500);
    expect(await burst(sliding, 4)).toBe(4);
    expect(await burst(fixed, 4)).toBe(4);
    await sleep(700);
    // 1.2 s in: the first request has left both windows; the four at 0.5 s are still in the sliding one.
    expect(await burst(sliding, 5)).toBe(1);
    expect(await burst(fixed, 5)).toBe(5);
  });

  it('reset forgets an id', async () => {
    const limiter = new RateLimiter(redis.client, { limit: 1, window: 60_000 });
    expect((await limiter.limit('a')).allowed).toBe(true);
    expect((await limiter.limit('a')).allowed).toBe(false);
    await limiter.reset('a');
    expect((await limiter.limit('a')).allowed).toBe(true);
  });

  it('validates options and ids', async () => {
    expect(() => new RateLimiter(redis.client, { limit: 0, window: 1000 })).toThrow(InvalidOptionError);
    expect(() => new RateLimiter(redis.client, { limit: 1, window: -1 })).toThrow(InvalidOptionError);
    expect(() => new RateLimiter(redis.client, { limit: 1, window: 1.5 })).toThrow(RangeError);
    expect(() => new RateLimiter(redis.client, { limit: 1, window: 2 ** 40 })).toThrow(InvalidOptionError);
    expect(() => new RateLimiter(redis.client, { limit: 1, window: 10, mode: 'leaky' as never })).toThrow(
      InvalidOptionError,
    );
    expect(() => new RateLimiter(redis.client, { limit: 1, windw: 10 } as never)).toThrow(InvalidOptionError);
    const limiter = new RateLimiter(redis.client, { limit: 1, window: 1000 });
    await expect(limiter.limit('')).rejects.toBeInstanceOf(InvalidKeyError);
  });
});
