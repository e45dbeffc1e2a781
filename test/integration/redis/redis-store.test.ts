import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisStoreBase } from '../../../src/stores/redis/redis-store-base.js';
import { type Target, targets } from './targets.js';

const enc = new TextEncoder();

for (const kind of ['standalone', 'cluster'] as const) {
  describe(`Redis store extras (${kind})`, () => {
    let target: Target;
    let store: RedisStoreBase;

    beforeAll(async () => {
      target = await targets[kind]();
      store = target.store({ prefix: 'ex:' });
      await store.ready();
    });

    afterAll(async () => {
      await store?.close();
      await target?.stop();
    });

    it('spreads keys over every master, and scan, getMany, deleteMany and clear reach all of them', async () => {
      const keys = Array.from({ length: 300 }, (_, i) => `many:${i}:{t${i % 37}}`);
      await store.setMany(keys.map((key, i) => ({ key, value: enc.encode(String(i)) })));
      const sizes = (await target.cli('DBSIZE')).map(Number);
      expect(sizes.every((n) => n > 0)).toBe(true);
      expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(300);

      const found: string[] = [];
      for await (const key of store.scan('many:*')) found.push(key);
      expect(found.sort()).toEqual([...keys].sort());

      const got = await store.getMany([...keys, 'absent']);
      expect(got.slice(0, 300).map((v) => Buffer.from(v!).toString())).toEqual(keys.map((_, i) => String(i)));
      expect(got[300]).toBeUndefined();

      expect(await store.deleteMany(keys.slice(0, 100))).toBe(100);
      expect(await store.deleteMany(keys.slice(0, 100))).toBe(0);
      await store.clear('many:');
      const left: string[] = [];
      for await (const key of store.scan('*')) left.push(key);
      expect(left.filter((k) => k.startsWith('many:'))).toEqual([]);
    });

    it('clear(prefix) keeps keys outside the store prefix and treats glob characters literally', async () => {
      const other = target.store({ prefix: 'other:' });
      await other.set('keep', enc.encode('1'));
      await store.set('a*b', enc.encode('1'));
      await store.set('aXb', enc.encode('1'));
      await store.clear('a*');
      expect(await store.has('a*b')).toBe(false);
      expect(await store.has('aXb')).toBe(true);
      await store.clear('');
      expect(await store.has('aXb')).toBe(false);
      expect(await other.has('keep')).toBe(true);
      await other.close();
    });

    it('incr, setMax and getNumbers keep counters atomically across slots', async () => {
      expect(await store.incr('gen:{a}')).toBe(1);
      expect(await store.incr('gen:{a}', 5)).toBe(6);
      const raised = await Promise.all([7, 3, 1_732_600_000_123, 9].map((v) => store.setMax('tag:{b}', v)));
      expect(Math.max(...raised)).toBe(1_732_600_000_123);
      expect(await store.setMax('tag:{b}', 5)).toBe(1_732_600_000_123);
      await store.setMax('tag:ttl', 10, 60_000);
      const pttl = (await target.cli('--no-raw', 'PTTL', 'ex:tag:ttl')).join(' ');
      expect(pttl).toMatch(/\d{4,}/);
      await store.set('junk', enc.encode('not a number'));
      expect(await store.getNumbers(['gen:{a}', 'tag:{b}', 'absent', 'junk'])).toEqual([
        6, 1_732_600_000_123, 0, 0,
      ]);
      expect(await store.setMax('junk', 2)).toBe(2);
    });
  });
}
