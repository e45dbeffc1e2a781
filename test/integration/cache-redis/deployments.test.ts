import { AsyncLocalStorage } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import type { Store } from '../../../src/stores/store.js';
import { sleep } from '../../helpers/clock.js';
import { type Target, targets } from '../redis/targets.js';

/** The Cache features that need L2 support (tags, patterns, namespaces, locks, bus) on both deployments. */
for (const kind of ['standalone', 'cluster'] as const) {
  describe(`Cache over Redis ${kind}`, () => {
    let target: Target;
    const stores: Store[] = [];
    const caches: Cache[] = [];
    const make = (options: ConstructorParameters<typeof Cache>[0] = {}): Cache => {
      const store = target.store();
      stores.push(store);
      const cache = new Cache({ l2: store, ttl: 60_000, ...options });
      caches.push(cache);
      return cache;
    };
    beforeAll(async () => {
      target = await targets[kind]();
    }, 60_000);
    afterAll(async () => {
      await Promise.all(caches.map((c) => c.close()));
      // Stores made without a cache (raw writes) are closed here; a cache's store twice is harmless.
      await Promise.all(stores.map((s) => s.close()));
      await target?.stop();
    }, 60_000);

    it('callers whose reads share one MGET reply each load and hear events in their own async context', async () => {
      const als = new AsyncLocalStorage<string>();
      const writer = make({ prefix: 'ctx:', l1: false });
      await writer.setMany([
        { key: 'h1', value: 1 },
        { key: 'h2', value: 2 },
      ]);
      const cache = make({ prefix: 'ctx:', l1: false });
      const seen: string[] = [];
      cache.on('hit', ({ key }) => seen.push(`hit ${key} in ${als.getStore()}`));
      const loader = (key: string) => async () => {
        seen.push(`load ${key} in ${als.getStore()}`);
        return key;
      };
      const got = await Promise.all(
        ['h1', 'm1', 'h2', 'm2'].map((key) => als.run(`ctx-${key}`, () => cache.getOrSet(key, loader(key)))),
      );
      expect(got).toEqual([1, 'm1', 2, 'm2']);
      expect(seen.sort()).toEqual([
        'hit h1 in ctx-h1',
        'hit h2 in ctx-h2',
        'load m1 in ctx-m1',
        'load m2 in ctx-m2',
      ]);
    });

    it('tag invalidation on one instance is seen by another (through L2, without a bus)', async () => {
      const a = make({ prefix: 'tags:' });
      const b = make({ prefix: 'tags:', syncInterval: 10 });
      await a.set('p1', 1, { tags: ['cat'] });
      await a.set('p2', 2, { tags: ['cat', 'x'] });
      expect(await b.getMany(['p1', 'p2'])).toEqual([1, 2]);
      await a.invalidateTags(['cat']);
      await sleep(20);
      expect(await b.getMany(['p1', 'p2'])).toEqual([undefined, undefined]);
      expect(await a.getMany(['p1', 'p2'])).toEqual([undefined, undefined]);
    });

    it('pattern invalidation scans every master and handles glob and hash-tag characters in keys', async () => {
      const a = make({ prefix: 'pat{x}*:' });
      const keys = Array.from({ length: 60 }, (_, i) => `user:${i}:{slot${i % 7}}`);
      await a.setMany(keys.map((key) => ({ key, value: key })));
      await a.set('user:*literal', 'lit');
      await a.set('post:1', 'p');
      const reader = make({ prefix: 'pat{x}*:', l1: false });
      expect(await reader.get('user:5:{slot5}')).toBe('user:5:{slot5}');
      const removed = await a.invalidatePattern('user:*');
      expect(removed).toBe(61);
      expect((await reader.getMany([...keys, 'user:*literal'])).every((v) => v === undefined)).toBe(true);
      expect(await reader.get('post:1')).toBe('p');
    });

    it('a namespace clear on one instance is seen by another', async () => {
      const a = make({ prefix: 'ns:' });
      const b = make({ prefix: 'ns:', syncInterval: 10 });
      await a.namespace('users').set('1', 'alice');
      expect(await b.namespace('users').get('1')).toBe('alice');
      await a.namespace('users').clear();
      await sleep(20);
      expect(await b.namespace('users').get('1')).toBeUndefined();
    });

    it('the distributed lock makes two instances load a cold key once', async () => {
      const a = make({ prefix: 'lock:', stampede: { distributed: true } });
      const b = make({ prefix: 'lock:', stampede: { distributed: true } });
      let loads = 0;
      const loader = async () => {
        loads++;
        await sleep(100);
        return 'v';
      };
      const all = await Promise.all([
        ...Array.from({ length: 100 }, () => a.getOrSet('cold', loader)),
        ...Array.from({ length: 100 }, () => b.getOrSet('cold', loader)),
      ]);
      expect(loads).toBe(1);
      expect(all.every((v) => v === 'v')).toBe(true);
    });

    it('the bus keeps L1 in sync', async () => {
      const a = make({ prefix: 'bus:', bus: true });
      const b = make({ prefix: 'bus:', bus: true });
      await sleep(300);
      await a.set('k', 1);
      expect(await b.get('k')).toBe(1);
      await a.set('k', 2);
      const deadline = Date.now() + 1000;
      while ((await b.get('k')) !== 2 && Date.now() < deadline) await sleep(2);
      expect(await b.get('k')).toBe(2);
    });

    it('foreign, non-UTF-8 and truncated values are counted misses; large values round-trip', async () => {
      const store = target.store();
      stores.push(store);
      const cache = make({ prefix: 'bad:', l1: false });
      await store.set('bad:foreign', new TextEncoder().encode('{"plain":"json"}'));
      await store.set('bad:binary', new Uint8Array([0xff, 0xfe, 0x00, 0x80]));
      await cache.set('big', 'x'.repeat(2_000_000));
      const good = await store.get('bad:big');
      await store.set('bad:truncated', good!.subarray(0, 30));
      expect(await cache.get('foreign')).toBeUndefined();
      expect(await cache.get('binary')).toBeUndefined();
      expect(await cache.get('truncated')).toBeUndefined();
      expect(cache.stats().corrupt).toBe(3);
      expect((await cache.get<string>('big'))?.length).toBe(2_000_000);
      expect(await cache.getOrSet('foreign', async () => 'replaced')).toBe('replaced');
      expect(await cache.get('foreign')).toBe('replaced');
    });
  });
}

describe('lease extension', () => {
  let target: Target;
  beforeAll(async () => {
    target = await targets.standalone();
  }, 60_000);
  afterAll(async () => {
    await target?.stop();
  });

  it('a load slower than the lease keeps it, so another instance waits instead of loading', async () => {
    const options = {
      prefix: 'extend:',
      ttl: 60_000,
      stampede: { distributed: true, lease: 200, wait: 3000, poll: 20 },
    };
    const a = new Cache({ l2: target.store(), ...options });
    const b = new Cache({ l2: target.store(), ...options });
    let loads = 0;
    const slow = async () => {
      loads++;
      await sleep(700);
      return 'v';
    };
    const first = a.getOrSet('k', slow);
    await sleep(50);
    const second = b.getOrSet('k', slow);
    expect(await Promise.all([first, second])).toEqual(['v', 'v']);
    expect(loads).toBe(1);
    await Promise.all([a.close(), b.close()]);
  });
});
