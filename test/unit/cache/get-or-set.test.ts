import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { InvalidOptionError } from '../../../src/errors.js';
import { ManualClock, sleep } from '../../helpers/clock.js';

describe('getOrSet', () => {
  it('calls the loader once for 1,000 concurrent callers of a cold key', async () => {
    const cache = new Cache();
    let calls = 0;
    const loader = async () => {
      calls++;
      await sleep(20);
      return { id: 1 };
    };
    const values = await Promise.all(Array.from({ length: 1000 }, () => cache.getOrSet('cold', loader)));
    expect(calls).toBe(1);
    expect(values.every((v) => v === values[0])).toBe(true);
    expect(cache.stats().loads.coalesced).toBe(999);
    expect(await cache.getOrSet('cold', loader)).toEqual({ id: 1 });
    expect(calls).toBe(1);
  });

  it('delivers a loader error to every waiter and does not cache it', async () => {
    const cache = new Cache();
    let calls = 0;
    const failing = async () => {
      calls++;
      await sleep(5);
      throw new Error('db down');
    };
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => cache.getOrSet('k', failing)));
    expect(calls).toBe(1);
    expect(results.every((r) => r.status === 'rejected' && (r.reason as Error).message === 'db down')).toBe(
      true,
    );
    expect(await cache.getOrSet('k', async () => 'ok')).toBe('ok');
    expect(cache.stats().loads.errors).toBe(1);
  });

  it('caches a loader error only when asked with errorTtl', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock });
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error('nope');
    };
    await expect(cache.getOrSet('k', failing, { errorTtl: 1000 })).rejects.toThrow('nope');
    await expect(cache.getOrSet('k', failing, { errorTtl: 1000 })).rejects.toThrow('nope');
    expect(calls).toBe(1);
    clock.advance(1001);
    await expect(cache.getOrSet('k', failing, { errorTtl: 1000 })).rejects.toThrow('nope');
    expect(calls).toBe(2);
  });

  it('returns but does not cache undefined from a loader', async () => {
    const cache = new Cache();
    let calls = 0;
    const loader = async () => {
      calls++;
      return undefined;
    };
    expect(await cache.getOrSet('u', loader)).toBeUndefined();
    expect(await cache.getOrSet('u', loader)).toBeUndefined();
    expect(calls).toBe(2);
    expect(await cache.getOrSet('n', async () => null)).toBeNull();
    expect(await cache.has('n')).toBe(true);
  });

  it('accepts synchronous loaders and passes the key and an abort signal', async () => {
    const cache = new Cache();
    const seen: string[] = [];
    const v = await cache.getOrSet('sync', (ctx) => {
      seen.push(ctx.key);
      expect(ctx.signal.aborted).toBe(false);
      return 42;
    });
    expect(v).toBe(42);
    expect(seen).toEqual(['sync']);
  });

  it('expires values after the TTL and reloads', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, ttl: 1000 });
    let n = 0;
    const loader = async () => ++n;
    expect(await cache.getOrSet('k', loader)).toBe(1);
    clock.advance(999);
    expect(await cache.getOrSet('k', loader)).toBe(1);
    clock.advance(2);
    expect(await cache.getOrSet('k', loader)).toBe(2);
  });

  it('memoizes functions with wrap', async () => {
    const cache = new Cache();
    let calls = 0;
    const square = cache.wrap(
      async (x: number) => {
        calls++;
        return x * x;
      },
      { name: 'square' },
    );
    expect(await square(3)).toBe(9);
    expect(await square(3)).toBe(9);
    expect(await square(4)).toBe(16);
    expect(calls).toBe(2);
    expect(await cache.get('square:[3]')).toBe(9);
    const custom = cache.wrap((id: string) => id.toUpperCase(), { key: (id) => `up:${id}` });
    expect(await custom('a')).toBe('A');
    expect(await cache.get('up:a')).toBe('A');
    expect(() => cache.wrap(async () => 1)).toThrow(InvalidOptionError);
  });
});
