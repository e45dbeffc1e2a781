import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { MapStore } from '../../../src/testing/map-store.js';
import { ManualClock } from '../../helpers/clock.js';

describe('tags', () => {
  it('makes every tagged entry a miss at once and leaves others alone', async () => {
    const cache = new Cache();
    await cache.set('p1', 1, { tags: ['product', 'p1'] });
    await cache.set('p2', 2, { tags: ['product'] });
    await cache.getOrSet('p3', async () => 3, { tags: ['p3'] });
    await cache.set('other', 4);
    await cache.invalidateTags(['product']);
    expect(await cache.getMany(['p1', 'p2', 'p3', 'other'])).toEqual([undefined, undefined, 3, 4]);
    await cache.set('p1', 10, { tags: ['product'] });
    expect(await cache.get('p1')).toBe(10);
  });

  it('invalidates a value whose load started before the invalidation', async () => {
    const cache = new Cache();
    let release: () => void = () => {};
    const pending = cache.getOrSet(
      'k',
      () =>
        new Promise<string>((r) => {
          release = () => r('pre-update');
        }),
      { tags: ['t'] },
    );
    await new Promise((r) => setTimeout(r, 2));
    await cache.invalidateTags(['t']);
    release();
    expect(await pending).toBe('pre-update');
    expect(await cache.get('k')).toBeUndefined();
  });

  it('applies to L2 entries (tag times live in L2 when it can hold them)', async () => {
    const l2 = new MapStore();
    const cache = new Cache({ l2, l1: false });
    await cache.set('a', 1, { tags: ['x'] });
    expect(await cache.get('a')).toBe(1);
    await cache.invalidateTags(['x']);
    expect(await cache.get('a')).toBeUndefined();
  });
});

describe('patterns', () => {
  it('removes keys matching a glob with *, ?, classes and escapes', async () => {
    const cache = new Cache({ l2: new MapStore() });
    const keys = ['user:1', 'user:2', 'user:10', 'user:*', 'post:1', 'userx', 'a?b', 'axb', 'k[1]', 'k1'];
    for (const k of keys) await cache.set(k, k);
    expect(await cache.invalidatePattern('user:?')).toBe(3);
    expect(await cache.getMany(keys)).toEqual([
      undefined,
      undefined,
      'user:10',
      undefined,
      'post:1',
      'userx',
      'a?b',
      'axb',
      'k[1]',
      'k1',
    ]);
    await cache.invalidatePattern('user:\\*');
    expect(await cache.get('user:10')).toBe('user:10');
    await cache.invalidatePattern('a\\?b');
    expect(await cache.getMany(['a?b', 'axb'])).toEqual([undefined, 'axb']);
    await cache.invalidatePattern('k[0-9]');
    expect(await cache.getMany(['k[1]', 'k1'])).toEqual(['k[1]', undefined]);
    await cache.invalidatePattern('k\\[1\\]');
    expect(await cache.get('k[1]')).toBeUndefined();
  });

  it('stays inside its namespace', async () => {
    const cache = new Cache({ l2: new MapStore() });
    const a = cache.namespace('a');
    const b = cache.namespace('b');
    await a.set('x:1', 1);
    await b.set('x:1', 2);
    await cache.set('x:1', 3);
    await a.invalidatePattern('x:*');
    expect([await a.get('x:1'), await b.get('x:1'), await cache.get('x:1')]).toEqual([undefined, 2, 3]);
  });

  it('is remembered for L2 stores that cannot scan', async () => {
    const inner = new MapStore();
    const store = {
      name: 'noscan',
      capabilities: { ...inner.capabilities, scan: false },
      get: (k: string) => inner.get(k),
      getMany: (k: readonly string[]) => inner.getMany(k),
      set: (k: string, v: Uint8Array, t?: number) => inner.set(k, v, t),
      setMany: (e: Parameters<MapStore['setMany']>[0]) => inner.setMany(e),
      delete: (k: string) => inner.delete(k),
      deleteMany: (k: readonly string[]) => inner.deleteMany(k),
      has: (k: string) => inner.has(k),
      touch: (k: string, t: number) => inner.touch(k, t),
      clear: (p: string) => inner.clear(p),
      close: () => inner.close(),
    };
    const writer = new Cache({ l2: store, l1: false });
    await writer.set('user:1', 1);
    await writer.set('post:1', 2);
    await writer.invalidatePattern('user:*');
    expect(await writer.get('user:1')).toBeUndefined();
    expect(await writer.get('post:1')).toBe(2);
  });
});

describe('versions', () => {
  it('a value written with another version is a miss', async () => {
    const cache = new Cache();
    await cache.set('cfg', { a: 1 }, { version: 1 });
    expect(await cache.get('cfg', { version: 1 })).toEqual({ a: 1 });
    expect(await cache.get('cfg', { version: 2 })).toBeUndefined();
    expect(await cache.get('cfg')).toEqual({ a: 1 });
    let loads = 0;
    const v = await cache.getOrSet('cfg', async () => ++loads, { version: 2 });
    expect(v).toBe(1);
    expect(await cache.get('cfg', { version: 2 })).toBe(1);
    expect(await cache.get('cfg', { version: '2' })).toBe(1);
  });
});

describe('namespaces', () => {
  it('scope keys and clear in O(1) by generation', async () => {
    const l2 = new MapStore();
    const cache = new Cache({ l2 });
    const users = cache.namespace('users');
    await users.set('1', 'alice');
    await cache.set('1', 'root');
    expect(await users.get('1')).toBe('alice');
    await users.clear();
    expect(await users.get('1')).toBeUndefined();
    expect(await cache.get('1')).toBe('root');
    await users.set('1', 'bob');
    expect(await users.get('1')).toBe('bob');
  });

  it('nested namespaces are cleared with their parent', async () => {
    const cache = new Cache();
    const a = cache.namespace('a');
    const ab = a.namespace('b');
    await ab.set('k', 1);
    await a.clear();
    expect(await ab.get('k')).toBeUndefined();
  });

  it('share generations through L2 between cache instances', async () => {
    const l2 = new MapStore();
    const one = new Cache({ l2, l1: false, syncInterval: 1 });
    const two = new Cache({ l2, l1: false, syncInterval: 1 });
    await one.namespace('ns').set('k', 'v');
    expect(await two.namespace('ns').get('k')).toBe('v');
    await one.namespace('ns').clear();
    await new Promise((r) => setTimeout(r, 5));
    expect(await two.namespace('ns').get('k')).toBeUndefined();
  });

  it('root clear removes everything under the prefix only', async () => {
    const l2 = new MapStore();
    const cache = new Cache({ l2, prefix: 'app:' });
    await l2.set('foreign', new Uint8Array([1]));
    await cache.set('a', 1);
    await cache.clear();
    expect(await cache.get('a')).toBeUndefined();
    expect(await l2.get('foreign')).toEqual(new Uint8Array([1]));
  });
});

describe('delete', () => {
  it('removes from both tiers and reports presence', async () => {
    const clock = new ManualClock();
    const l2 = new MapStore({ clock });
    const cache = new Cache({ l2, clock });
    await cache.set('a', 1);
    await cache.set('b', 2);
    expect(await cache.delete('a')).toBe(true);
    expect(await cache.delete('a')).toBe(false);
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.deleteMany(['b', 'zz'])).toBe(1);
    expect(await cache.has('b')).toBe(false);
  });
});

describe('loads racing with changes', () => {
  const deferred = () => {
    let resolve: (v: string) => void = () => {};
    const promise = new Promise<string>((r) => (resolve = r));
    return { promise, resolve };
  };

  it('a read after invalidateTags does not join a load that started before it', async () => {
    const cache = new Cache();
    const first = deferred();
    let started: () => void = () => {};
    const loaderRunning = new Promise<void>((r) => (started = r));
    const old = cache.getOrSet(
      'p',
      () => {
        started();
        return first.promise;
      },
      { tags: ['p'] },
    );
    await loaderRunning;
    await cache.invalidateTags(['p']);
    let fresh = 0;
    // If this joined the running load it would wait for `first`, which only resolves below: fail fast.
    const after = await withTimeout(
      cache.getOrSet(
        'p',
        async () => {
          fresh++;
          return 'v2';
        },
        { tags: ['p'] },
      ),
    );
    first.resolve('v1');
    expect(await old).toBe('v1');
    expect(after).toBe('v2');
    expect(fresh).toBe(1);
    expect(await cache.get('p')).toBe('v2');
  });

  const withTimeout = <T>(p: Promise<T>): Promise<T> =>
    Promise.race([
      p,
      new Promise<T>((_, reject) => setTimeout(() => reject(new Error('joined the old load')), 500)),
    ]);

  it('a delete during a load keeps the loaded value out of the cache', async () => {
    const cache = new Cache();
    const load = deferred();
    const pending = cache.getOrSet('k', () => load.promise);
    await cache.delete('k');
    load.resolve('pre-delete');
    expect(await pending).toBe('pre-delete');
    expect(await cache.get('k')).toBeUndefined();
  });

  it('a set during a load wins over the loaded value', async () => {
    const cache = new Cache();
    const load = deferred();
    const pending = cache.getOrSet('k', () => load.promise);
    await cache.set('k', 'newer');
    load.resolve('older');
    await pending;
    expect(await cache.get('k')).toBe('newer');
  });
});
