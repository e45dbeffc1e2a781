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

    it('sends the gets of one tick as one MGET per slot, each caller getting its own key', async () => {
      const keys = Array.from({ length: 200 }, (_, i) => `batch:${i}${i % 10 === 0 ? ':{same}' : ''}`);
      await store.setMany(keys.map((key, i) => ({ key, value: enc.encode(`v${i}`) })));
      const calls = async (): Promise<{ get: number; mget: number }> => {
        const out = { get: 0, mget: 0 };
        for (const info of await target.cli('INFO', 'commandstats')) {
          out.get += Number(/cmdstat_get:calls=(\d+)/.exec(info)?.[1] ?? 0);
          out.mget += Number(/cmdstat_mget:calls=(\d+)/.exec(info)?.[1] ?? 0);
        }
        return out;
      };
      const before = await calls();
      // Duplicates, misses and hits interleaved, all issued in one tick.
      const asked = [...keys, 'batch:absent', keys[3]!, keys[3]!];
      const got = await Promise.all(asked.map((k) => store.get(k)));
      expect(got.map((v) => (v === undefined ? undefined : Buffer.from(v).toString()))).toEqual(
        asked.map((k) => (k === 'batch:absent' ? undefined : `v${keys.indexOf(k)}`)),
      );
      const after = await calls();
      if (kind === 'standalone') {
        expect(after.mget - before.mget).toBe(1);
        expect(after.get - before.get).toBe(0);
      } else {
        // One command per slot: far fewer than one per key, and the 20 keys of {same} share one.
        expect(after.mget - before.mget + after.get - before.get).toBeLessThan(asked.length);
        expect(after.mget - before.mget).toBeGreaterThan(0);
      }
      // A lone read of a tick is a plain GET.
      expect(Buffer.from((await store.get(keys[5]!))!).toString()).toBe('v5');
      expect((await calls()).get - after.get).toBe(1);
      await store.deleteMany(keys);
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
