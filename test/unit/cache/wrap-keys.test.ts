import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { InvalidOptionError, isCacheError, SerializationError } from '../../../src/errors.js';

describe('wrap names', () => {
  const users = { find: async (id: number) => ({ user: id }) };
  const orders = { find: async (id: number) => ({ order: id }) };

  it('rejects a second function with the same name', () => {
    const cache = new Cache();
    cache.wrap(users.find);
    expect(() => cache.wrap(users.find), 'the same function again').not.toThrow();
    const err = (() => {
      try {
        cache.wrap(orders.find);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect(isCacheError(err)).toBe(true);
    expect((err as InvalidOptionError).code).toBe('ERR_CACHE_INVALID_OPTION');
    expect((err as Error).message).toContain('`find`');
    expect(() => cache.wrap(orders.find, { name: 'find' })).toThrow(InvalidOptionError);
  });

  it('keeps functions with the same fn.name apart once given distinct names', async () => {
    const cache = new Cache();
    const findUser = cache.wrap(users.find, { name: 'user' });
    const findOrder = cache.wrap(orders.find, { name: 'order' });
    expect(() => cache.wrap(orders.find, { name: 'user' })).toThrow(InvalidOptionError);
    expect(await findUser(1)).toEqual({ user: 1 });
    expect(await findOrder(1)).toEqual({ order: 1 });
  });

  it('allows the same name in two namespaces, not twice in one', () => {
    const cache = new Cache();
    cache.namespace('a').wrap(users.find);
    cache.namespace('b').wrap(orders.find);
    expect(() => cache.namespace('a').wrap(orders.find)).toThrow(InvalidOptionError);
  });

  it('names the right call for the cache-manager shape wrap(key, fn)', () => {
    const cache = new Cache();
    const wrapLike = cache.wrap as unknown as (k: string, fn: () => number) => unknown;
    expect(() => wrapLike.call(cache, 'user:1', () => 1)).toThrow(/getOrSet\("user:1", fn\)/);
  });
});

describe('wrap argument keys', () => {
  async function keyOf(...args: unknown[]): Promise<string> {
    const cache = new Cache();
    let seen = '';
    const fn = cache.wrap(async (..._a: unknown[]) => 1, { name: 'f' });
    cache.on('miss', ({ key }) => {
      seen = key;
    });
    await fn(...args);
    await cache.close();
    return seen;
  }

  it.each([
    ['Maps with different entries', [new Map([['a', 1]])], [new Map([['b', 2]])]],
    ['undefined and null', [undefined], [null]],
    ['Sets with different items', [new Set([1])], [new Set([2])]],
    ['a BigInt and a number', [1n], [1]],
    ['a BigInt and a string', [1n], ['1']],
    ['NaN and null', [Number.NaN], [null]],
    ['-0 and 0', [-0], [0]],
    ['Infinity and null', [Number.POSITIVE_INFINITY], [null]],
    ['typed arrays of different types', [new Uint8Array([1])], [new Int8Array([1])]],
  ])('keeps %s apart', async (_name, a, b) => {
    expect(await keyOf(...a)).not.toBe(await keyOf(...b));
  });

  it.each([['NaN, -0 and a BigInt', () => [Number.NaN, -0, 10n ** 30n]]])(
    'gives %s a stable key',
    async (_name, make) => {
      expect(await keyOf(...make())).toBe(await keyOf(...make()));
    },
  );

  it('sorts object keys, Map entries and Set items', async () => {
    expect(await keyOf({ a: 1, b: 2 })).toBe(await keyOf({ b: 2, a: 1 }));
    expect(
      await keyOf(
        new Map([
          ['a', 1],
          ['b', 2],
        ]),
      ),
    ).toBe(
      await keyOf(
        new Map([
          ['b', 2],
          ['a', 1],
        ]),
      ),
    );
    expect(await keyOf(new Set([1, 2]))).toBe(await keyOf(new Set([2, 1])));
  });

  it.each([
    ['a function', [{ x: () => 1 }], 'args[0].x'],
    ['a symbol', [1, Symbol('s')], 'args[1]'],
    [
      'a cycle',
      [
        (() => {
          const o: Record<string, unknown> = {};
          o.self = o;
          return { a: [o] };
        })(),
      ],
      'args[0].a[0].self',
    ],
    ['a class instance', [{ 'a b': new (class Point {})() }], 'args[0]["a b"]'],
  ])('rejects %s with a SerializationError naming its path, as a rejection', async (_name, args, path) => {
    const cache = new Cache();
    const fn = cache.wrap(async (..._a: unknown[]) => 1, { name: 'f' });
    let err: unknown;
    const call = fn(...args);
    await call.catch((e: unknown) => {
      err = e;
    });
    expect(err).toBeInstanceOf(SerializationError);
    expect((err as SerializationError).code).toBe('ERR_CACHE_SERIALIZE');
    expect((err as Error).message).toContain(path);
    await cache.close();
  });
});
