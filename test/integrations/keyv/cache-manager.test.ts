/**
 * cache-manager 7 over `KeyvStratacache`: `createCache({ stores: [new Keyv({ store })] })` against a cache
 * over a private Redis, with a stock Keyv and with `createKeyv` (serializer off). Every call of
 * cache-manager's API that reaches the store: get/set/del/wrap/mget/mset/mdel/ttl/clear.
 */
import { createCache } from 'cache-manager';
import Keyv from 'keyv';
import { Cache } from 'stratacache';
import { createKeyv, KeyvStratacache } from 'stratacache/keyv';
import { RedisStore } from 'stratacache/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';

let redis: ServerHandle;
const caches: Cache[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(caches.map((c) => c.close()));
  await redis.stop();
});

function redisCache(l1: boolean): Cache {
  const c = new Cache({ l1: l1 ? {} : false, l2: new RedisStore({ url: redis.url }) });
  caches.push(c);
  return c;
}

const variants: Array<[string, (cache: Cache, namespace: string) => Keyv]> = [
  ['stock Keyv', (cache, namespace) => new Keyv({ store: new KeyvStratacache(cache), namespace })],
  ['createKeyv', (cache, namespace) => createKeyv(cache, { namespace })],
];

for (const [name, keyvOf] of variants) {
  for (const l1 of [false, true]) {
    describe(`cache-manager 7 → ${name} → ${l1 ? 'L1 + Redis' : 'Redis only'}`, () => {
      const ns = `${name.replace(/\W/g, '')}${l1 ? 'l1' : 'l2'}`;
      let cache: Cache;
      let cm: ReturnType<typeof createCache>;
      beforeAll(() => {
        cache = redisCache(l1);
        cm = createCache({ stores: [keyvOf(cache, ns)] });
      });

      it('set / get / del', async () => {
        expect(await cm.set('a', { n: 1 })).toEqual({ n: 1 });
        expect(await cm.get('a')).toEqual({ n: 1 });
        expect(await cm.del('a')).toBe(true);
        expect(await cm.get('a')).toBeUndefined();
      });

      it('the entry lives in Redis: a second process reads it', async () => {
        await cm.set('shared', 'v', 60_000);
        const other = redisCache(true);
        const cm2 = createCache({ stores: [keyvOf(other, ns)] });
        expect(await cm2.get('shared')).toBe('v');
      });

      it('ttl(key) is the expiry time (ms since epoch) of an entry set with a ttl in ms', async () => {
        const before = Date.now();
        await cm.set('t', 1, 60_000);
        const expires = await cm.ttl('t');
        expect(expires).toBeGreaterThanOrEqual(before + 60_000);
        expect(expires).toBeLessThanOrEqual(Date.now() + 60_000);
        expect(await cm.ttl('absent')).toBeUndefined();
      });

      it('mset / mget / mdel', async () => {
        await cm.mset<unknown>([
          { key: 'm1', value: 1 },
          { key: 'm2', value: { two: 2 }, ttl: 60_000 },
        ]);
        expect(await cm.mget(['m1', 'm2', 'm3'])).toEqual([1, { two: 2 }, undefined]);
        await cm.mdel(['m1', 'm2']);
        expect(await cm.mget(['m1', 'm2'])).toEqual([undefined, undefined]);
      });

      it('wrap runs the function once per key, also for concurrent callers, then serves the stored value', async () => {
        let runs = 0;
        const fn = async (): Promise<{ at: number }> => {
          runs++;
          return { at: runs };
        };
        const first = await Promise.all(Array.from({ length: 10 }, () => cm.wrap('w', fn, 60_000)));
        expect(first).toEqual(Array.from({ length: 10 }, () => ({ at: 1 })));
        expect(await cm.wrap('w', fn, 60_000)).toEqual({ at: 1 });
        expect(runs).toBe(1);
        expect(await cm.ttl('w')).toBeGreaterThan(Date.now());
      });

      it("clear() clears this Keyv's namespace only", async () => {
        await cm.set('c', 1);
        await cache.set('outside', 'kept');
        await cm.clear();
        expect(await cm.get('c')).toBeUndefined();
        expect(await cache.get('outside')).toBe('kept');
      });
    });
  }
}
