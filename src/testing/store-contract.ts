import type { Store } from '../stores/store.js';

/** The pieces of a test framework the contract suite needs (vitest, jest and node:test all fit). */
export interface TestApi {
  describe: (name: string, fn: () => void) => void;
  it: (name: string, fn: () => Promise<void>, timeoutMs?: number) => void;
  beforeAll: (fn: () => Promise<void>, timeoutMs?: number) => void;
  afterAll: (fn: () => Promise<void>, timeoutMs?: number) => void;
}

/** How the suite gets the store under test. */
export interface StoreContractOptions {
  /** Creates the store (and whatever it needs); called once for the suite. */
  create: () => Promise<Store>;
  /** Called after the suite, after `store.close()`. */
  destroy?: () => Promise<void>;
  /** Smallest TTL the store honours precisely, in ms (memcached rounds to seconds). @default 100 */
  ttlResolutionMs?: number;
}

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`store contract: ${message}`);
}

function eqBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (a === undefined || a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

const enc = new TextEncoder();
const bytes = (s: string): Uint8Array => enc.encode(s);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Registers the shared store contract: every store (memory-backed test stores, Redis, Redis Cluster,
 * Memcached, sharded pools, and users' own) must pass it unchanged.
 *
 * @example
 * import { describe, it, beforeAll, afterAll } from 'vitest';
 * storeContract('my store', { create: async () => new MyStore() }, { describe, it, beforeAll, afterAll });
 */
export function storeContract(name: string, options: StoreContractOptions, t: TestApi): void {
  const ttlMs = options.ttlResolutionMs ?? 100;
  let store: Store;
  let n = 0;
  const k = (suffix: string): string => `contract:${process.pid}:${++n}:${suffix}`;

  t.describe(`store contract: ${name}`, () => {
    t.beforeAll(async () => {
      store = await options.create();
    }, 60_000);
    t.afterAll(async () => {
      await store?.close();
      await store?.close();
      await options.destroy?.();
    }, 60_000);

    t.it('misses on an absent key', async () => {
      assert((await store.get(k('absent'))) === undefined, 'get of an absent key must be undefined');
      assert((await store.has(k('absent'))) === false, 'has of an absent key must be false');
    });

    t.it('round-trips every byte value, the empty value and a large value', async () => {
      const all = new Uint8Array(256).map((_, i) => i);
      const key = k('bytes');
      await store.set(key, all);
      assert(eqBytes(await store.get(key), all), 'bytes 0..255 must round-trip unchanged');
      const empty = k('empty');
      await store.set(empty, new Uint8Array(0));
      const got = await store.get(empty);
      assert(got !== undefined && got.byteLength === 0, 'an empty value is a hit of length 0');
      const big = new Uint8Array(200_000).map((_, i) => (i * 31) & 255);
      const bigKey = k('big');
      await store.set(bigKey, big);
      assert(eqBytes(await store.get(bigKey), big), '200 kB must round-trip');
    });

    t.it('keeps values that look like protocol framing intact', async () => {
      const value = bytes('\r\nEND\r\nVALUE x 0 3\r\n$-1\r\n*2\r\n');
      const key = k('framing');
      await store.set(key, value);
      assert(eqBytes(await store.get(key), value), 'protocol-looking bytes must round-trip');
    });

    t.it('accepts keys with spaces, glob, hash-tag and non-ASCII characters', async () => {
      const keys = ['a b', 'star*?[x]\\', '{tag}:x', 'ключ-日本-🔑', 'new\nline', 'x'.repeat(300)].map(k);
      for (const [i, key] of keys.entries()) await store.set(key, bytes(`v${i}`));
      for (const [i, key] of keys.entries()) {
        assert(
          eqBytes(await store.get(key), bytes(`v${i}`)),
          `key ${JSON.stringify(key.slice(0, 40))} must round-trip`,
        );
      }
    });

    t.it('overwrites, deletes and reports deletion', async () => {
      const key = k('del');
      await store.set(key, bytes('1'));
      await store.set(key, bytes('2'));
      assert(eqBytes(await store.get(key), bytes('2')), 'a second set overwrites');
      assert((await store.has(key)) === true, 'has after set');
      assert((await store.delete(key)) === true, 'delete of a present key is true');
      assert((await store.get(key)) === undefined, 'get after delete misses');
      const absent = await store.delete(key);
      assert(typeof absent === 'boolean', 'delete returns a boolean');
    });

    t.it('getMany returns values in key order with undefined for misses', async () => {
      const keys = [k('m0'), k('m1'), k('m2'), k('m3')];
      await store.setMany([
        { key: keys[0]!, value: bytes('zero') },
        { key: keys[2]!, value: bytes('two'), ttlMs: 60_000 },
      ]);
      const got = await store.getMany(keys);
      assert(got.length === 4, 'one result per key');
      assert(eqBytes(got[0], bytes('zero')) && got[1] === undefined, 'first hit, second miss');
      assert(eqBytes(got[2], bytes('two')) && got[3] === undefined, 'third hit, fourth miss');
      assert((await store.getMany([])).length === 0, 'getMany([]) is []');
      await store.deleteMany([keys[0]!, keys[2]!]);
      const after = await store.getMany(keys);
      assert(
        after.every((v) => v === undefined),
        'deleteMany removes every key',
      );
    });

    t.it(
      'expires entries after their TTL and touch extends it',
      async () => {
        const key = k('ttl');
        const kept = k('touched');
        await store.set(key, bytes('x'), ttlMs);
        await store.set(kept, bytes('y'), ttlMs * 3);
        assert(eqBytes(await store.get(key), bytes('x')), 'present before the TTL');
        await sleep(ttlMs * 1.5);
        assert((await store.touch(kept, ttlMs * 10)) === true, 'touch of a present key is true');
        await sleep(ttlMs * 2);
        assert((await store.get(key)) === undefined, 'gone after the TTL');
        assert(eqBytes(await store.get(kept), bytes('y')), 'a touched key outlives its first TTL');
        assert((await store.touch(k('none'), ttlMs)) === false, 'touch of an absent key is false');
      },
      30_000,
    );

    t.it('clear(prefix) removes only keys under the prefix', async () => {
      const prefix = k('clr:');
      const other = k('keep');
      await store.setMany([
        { key: `${prefix}a`, value: bytes('1') },
        { key: `${prefix}b*`, value: bytes('2') },
        { key: other, value: bytes('3') },
      ]);
      await store.clear(prefix);
      assert((await store.get(`${prefix}a`)) === undefined, 'prefixed key removed');
      assert((await store.get(`${prefix}b*`)) === undefined, 'prefixed key with a glob char removed');
      assert(eqBytes(await store.get(other), bytes('3')), 'other keys kept');
    });

    t.it('scan(glob) lists matching keys when the store can scan', async () => {
      if (!store.capabilities.scan) {
        assert(store.scan === undefined, 'a store without the scan capability has no scan()');
        return;
      }
      const base = k('scan:');
      const names = ['user:1', 'user:2', 'user:10', 'post:1', 'user:*lit'];
      await store.setMany(names.map((s) => ({ key: `${base}${s}`, value: bytes(s) })));
      const esc = base.replace(/[*?[\]\\]/g, '\\$&');
      const found: string[] = [];
      for await (const key of store.scan!(`${esc}user:?`)) found.push(key);
      assert(
        found.sort().join(',') === [`${base}user:1`, `${base}user:2`].join(','),
        `user:? matches two keys, got ${found.join(',')}`,
      );
      const lit: string[] = [];
      for await (const key of store.scan!(`${esc}user:\\*lit`)) lit.push(key);
      assert(lit.length === 1, 'an escaped * matches only itself');
    });

    t.it('answers many concurrent mixed operations consistently', async () => {
      const keys = Array.from({ length: 50 }, (_, i) => k(`c${i}`));
      await Promise.all(keys.map((key, i) => store.set(key, bytes(`value-${i}-${'z'.repeat(i * 7)}`))));
      const results = await Promise.all([
        ...keys.map((key) => store.get(key)),
        store.getMany(keys),
        ...keys.map((key) => store.has(key)),
      ]);
      for (let i = 0; i < keys.length; i++) {
        const want = bytes(`value-${i}-${'z'.repeat(i * 7)}`);
        assert(eqBytes(results[i] as Uint8Array, want), `concurrent get ${i} must see its own value`);
        assert(
          eqBytes((results[keys.length] as Array<Uint8Array | undefined>)[i], want),
          `getMany slot ${i}`,
        );
      }
    });

    t.it('counts concurrent incr and setMax atomically when the store holds numbers', async () => {
      if (store.incr === undefined || store.setMax === undefined || store.getNumbers === undefined) return;
      const counter = k('n:counter');
      const replies = await Promise.all(Array.from({ length: 50 }, () => store.incr!(counter, 1)));
      assert(new Set(replies).size === 50, 'every concurrent incr gets its own number');
      const max = k('n:max');
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.setMax!(max, i + 1)));
      const [count, highest] = await store.getNumbers([counter, max]);
      assert(count === 50, `50 increments count 50, got ${count}`);
      assert(highest === 20, `setMax keeps the highest of concurrent values, got ${highest}`);
    });

    t.it('declares its capabilities', async () => {
      const c = store.capabilities;
      for (const f of ['ttl', 'scan', 'scripts', 'pubsub', 'locks'] as const) {
        assert(typeof c[f] === 'boolean', `capabilities.${f} is a boolean`);
      }
      assert(c.maxValueBytes > 0, 'capabilities.maxValueBytes is positive');
      assert(typeof store.name === 'string' && store.name.length > 0, 'a store has a name');
    });
  });
}
