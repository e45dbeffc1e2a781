import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { InvalidKeyError } from '../../../src/errors.js';
import { MapStore } from '../../../src/testing/map-store.js';

// Issue 11: a namespace's keys are stored as `<name>@<generation>:<key>`; a caller's key of that shape
// wrote into the namespace, and a namespace's listeners saw every key, as stored.
describe('namespace keys cannot be forged (issue 11)', () => {
  it('refuses a key that starts like a namespace key, on every path (the L1 fast path too)', async () => {
    for (const l2 of [undefined, new MapStore()]) {
      const cache = new Cache(l2 === undefined ? {} : { l2 });
      const users = cache.namespace('users');
      await users.set('u1', 'in the namespace');
      await expect(cache.get('users@0:u1')).rejects.toThrow(InvalidKeyError);
      await expect(cache.getOrSet('users@0:u1', async () => 'forged')).rejects.toThrow(
        /reserved for cache.namespace/,
      );
      await expect(cache.set('users@0:u2', 'forged')).rejects.toThrow(InvalidKeyError);
      await expect(cache.delete('users@0:u1')).rejects.toThrow(InvalidKeyError);
      // A namespace's key cannot forge a nested namespace either.
      await expect(users.set('admins@0:x', 'forged')).rejects.toThrow(InvalidKeyError);
      expect(await users.get('u1')).toBe('in the namespace');
      expect(await users.namespace('admins').get('x')).toBeUndefined();
      await cache.close();
    }
  });

  it('keeps keys with an @ that are not a namespace prefix', async () => {
    const cache = new Cache({ l2: new MapStore() });
    for (const key of ['alice@example.com', 'user:bob@2:x', 'users@x:1', '@0:a', 'users@', 'users@12']) {
      await cache.set(key, key);
      expect(await cache.get(key)).toBe(key);
      expect(await cache.getOrSet(key, async () => 'loader')).toBe(key);
    }
    await cache.close();
  });
});

describe("a namespace's listeners (issue 11)", () => {
  it('see only its keys, as the caller wrote them, across clear()', async () => {
    const cache = new Cache({ l2: new MapStore() });
    const users = cache.namespace('users');
    const orders = cache.namespace('orders');
    const seen: string[] = [];
    const all: string[] = [];
    users.on('set', (e) => seen.push(e.key));
    cache.on('set', (e) => all.push(e.key));
    await cache.set('root', 1);
    await orders.set('o1', 1);
    await users.set('u1', 2);
    await users.clear();
    await users.set('u2', 3);
    expect(seen).toEqual(['u1', 'u2']);
    // The root's listeners see every key as stored.
    expect(all).toEqual(['root', 'orders@0:o1', 'users@0:u1', 'users@1:u2']);
    await cache.close();
  });

  it('map hit, miss, load, delete and evict keys; a nested namespace keeps its own', async () => {
    const cache = new Cache({ l1: { maxEntries: 2 } });
    const a = cache.namespace('a');
    const b = a.namespace('b');
    const events: string[] = [];
    for (const name of ['hit', 'miss', 'load', 'delete', 'evict'] as const) {
      a.on(name, (e) => events.push(`a:${name}:${e.key}`));
      b.on(name, (e) => events.push(`b:${name}:${e.key}`));
    }
    await a.getOrSet('x', async () => 1);
    await a.get('x');
    await b.get('y');
    await b.delete('y');
    for (let i = 0; i < 50; i++) {
      await cache.set(`r${i}`, i); // more frequent keys than x push it out of the 2-entry L1
      for (let j = 0; j < 4; j++) await cache.get(`r${i}`);
    }
    expect(events).toEqual(
      expect.arrayContaining(['a:miss:x', 'a:load:x', 'a:hit:x', 'b:miss:y', 'b:delete:y', 'a:evict:x']),
    );
    expect(events.filter((e) => e.startsWith('a:') && e.includes('y'))).toEqual([]);
    expect(events.filter((e) => e.includes('@'))).toEqual([]);
    await cache.close();
  });

  it('off() and the returned function remove a namespace listener', async () => {
    const cache = new Cache();
    const users = cache.namespace('users');
    const seen: string[] = [];
    const listener = (e: { key: string }): void => {
      seen.push(e.key);
    };
    users.on('set', listener);
    await users.set('a', 1);
    users.off('set', listener);
    await users.set('b', 1);
    const stop = users.on('set', listener);
    await users.set('c', 1);
    stop();
    await users.set('d', 1);
    expect(seen).toEqual(['a', 'c']);
    await cache.close();
  });
});
