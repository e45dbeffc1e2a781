import { describe, expect, expectTypeOf, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { InvalidKeyError } from '../../../src/errors.js';
import { ManualClock } from '../../helpers/clock.js';

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
