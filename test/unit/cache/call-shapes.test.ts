import { describe, expect, expectTypeOf, it } from 'vitest';
import { Cache, MAX_CACHED_ERRORS } from '../../../src/cache.js';
import { InvalidKeyError } from '../../../src/errors.js';
import { ManualClock } from '../../helpers/clock.js';
import { reportFigure } from '../../helpers/figures.js';

describe('call shapes from other cache libraries', () => {
  it('set(key, value, ms) takes the number as the ttl (the cache-manager/keyv habit)', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, ttl: 3_600_000, jitter: 0 });
    expect(await cache.set('k', 'v', 60_000)).toBe(true);
    clock.advance(59_999);
    expect(await cache.get('k')).toBe('v');
    clock.advance(2);
    expect(await cache.get('k')).toBeUndefined();
    await cache.close();
  });

  it('getOrSet({ key, factory }) names the right call', async () => {
    const cache = new Cache();
    const call = cache.getOrSet({ key: 'k', factory: () => 1 } as never, undefined as never);
    await expect(call).rejects.toThrow(InvalidKeyError);
    await expect(cache.getOrSet({ key: 'k', factory: () => 1 } as never, undefined as never)).rejects.toThrow(
      /getOrSet\(key, loader, options\)/,
    );
    await cache.close();
  });

  it("types the loader's `stale` from the type argument or the annotated result", async () => {
    type User = { name: string };
    const cache = new Cache();
    const user: User = await cache.getOrSet('user:1', ({ stale }) => {
      expectTypeOf(stale).toEqualTypeOf<User | undefined>();
      return { name: stale?.name ?? 'Ada' };
    });
    const again = await cache.getOrSet<User>('user:1', ({ stale }) => {
      expectTypeOf(stale).toEqualTypeOf<User | undefined>();
      return { name: 'Bo' };
    });
    expectTypeOf(again).toEqualTypeOf<User>();
    expect([user, again]).toEqual([{ name: 'Ada' }, { name: 'Ada' }]);
    await cache.close();
  });
});

describe('errorTtl', () => {
  it(`keeps at most MAX_CACHED_ERRORS errors (${MAX_CACHED_ERRORS}), dropping the oldest`, async () => {
    const cache = new Cache();
    let calls = 0;
    const fails = async () => {
      calls++;
      throw new Error('down');
    };
    for (let i = 0; i <= MAX_CACHED_ERRORS; i++) {
      await expect(cache.getOrSet(`k${i}`, fails, { errorTtl: 60_000 })).rejects.toThrow('down');
    }
    reportFigure(`loader calls for ${MAX_CACHED_ERRORS + 1} distinct failing keys`, calls, 'calls');
    expect(calls).toBe(MAX_CACHED_ERRORS + 1);
    // The newest error is still cached (no loader call); the oldest was dropped (the loader runs again).
    await expect(cache.getOrSet(`k${MAX_CACHED_ERRORS}`, fails, { errorTtl: 60_000 })).rejects.toThrow(
      'down',
    );
    expect(calls).toBe(MAX_CACHED_ERRORS + 1);
    await expect(cache.getOrSet('k0', fails, { errorTtl: 60_000 })).rejects.toThrow('down');
    expect(calls).toBe(MAX_CACHED_ERRORS + 2);
    await cache.close();
  });

  it('drops expired errors before the oldest live one', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock });
    let calls = 0;
    const fails = async () => {
      calls++;
      throw new Error('down');
    };
    await expect(cache.getOrSet('long', fails, { errorTtl: 60_000 })).rejects.toThrow('down');
    for (let i = 1; i < MAX_CACHED_ERRORS; i++) {
      await expect(cache.getOrSet(`k${i}`, fails, { errorTtl: 10 })).rejects.toThrow('down');
    }
    clock.advance(20);
    await expect(cache.getOrSet('new', fails, { errorTtl: 60_000 })).rejects.toThrow('down');
    const before = calls;
    await expect(cache.getOrSet('long', fails, { errorTtl: 60_000 })).rejects.toThrow('down');
    expect(calls).toBe(before);
    await cache.close();
  });
});
