import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeserializationError,
  InvalidKeyError,
  InvalidOptionError,
  SerializationError,
} from '../../../src/errors.js';
import {
  plainNumberSerializer,
  plainStringSerializer,
  RedisBatch,
  RedisHash,
} from '../../../src/redis-helpers/index.js';
import { type Standalone, sleep, standalone } from './setup.js';

interface User {
  name: string;
  visits: number;
  tags?: string[];
}

let redis: Standalone;
beforeAll(async () => {
  redis = await standalone();
});
afterAll(async () => {
  await redis.stop();
});

describe('RedisHash', () => {
  const users = () => new RedisHash<User>(redis.client, { prefix: 'user:' });

  it('stores an object one field per property and reads it back typed', async () => {
    await users().set('1', { name: 'Ada', visits: 3, tags: ['a', 'b'] });
    expect(await users().get('1')).toEqual({ name: 'Ada', visits: 3, tags: ['a', 'b'] });
    expect(await redis.client.hGetAll('user:1')).toEqual({ name: '"Ada"', visits: '3', tags: '["a","b"]' });
    expect(await users().getField('1', 'visits')).toBe(3);
    expect(await users().getField('1', 'tags')).toEqual(['a', 'b']);
    expect(await users().get('absent')).toBeUndefined();
    expect(await users().getField('absent', 'name')).toBeUndefined();
  });

  it('set replaces the previous object, its fields and its TTL atomically', async () => {
    const h = users();
    await h.set('2', { name: 'Bob', visits: 1, tags: ['x'] }, { ttl: 60_000 });
    const ttl = await redis.client.pTTL('user:2');
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await h.set('2', { name: 'Bob', visits: 2 });
    expect(await h.get('2')).toEqual({ name: 'Bob', visits: 2 });
    expect(await redis.client.pTTL('user:2')).toBe(-1);
  });

  it('expires the whole object after its TTL', async () => {
    const h = users();
    await h.set('ttl', { name: 'Eve', visits: 0 }, { ttl: 100 });
    expect(await h.get('ttl')).toBeDefined();
    await sleep(250);
    expect(await h.get('ttl')).toBeUndefined();
  });

  it('updates fields of an existing object only, keeping its TTL', async () => {
    const h = users();
    await h.set('3', { name: 'Cy', visits: 1 }, { ttl: 60_000 });
    expect(await h.update('3', 'visits', 2)).toBe(true);
    expect(await h.updateMany('3', { name: 'Cyd', tags: ['t'] })).toBe(true);
    expect(await h.get('3')).toEqual({ name: 'Cyd', visits: 2, tags: ['t'] });
    expect(await redis.client.pTTL('user:3')).toBeGreaterThan(50_000);

    expect(await h.update('missing', 'visits', 1)).toBe(false);
    expect(await h.updateMany('missing', { visits: 1, name: 'x' })).toBe(false);
    expect(await redis.client.exists('user:missing')).toBe(0);
  });

  it('expire and delete report whether the object existed', async () => {
    const h = users();
    await h.set('4', { name: 'D', visits: 0 });
    expect(await h.expire('4', 30_000)).toBe(true);
    expect(await redis.client.pTTL('user:4')).toBeGreaterThan(20_000);
    expect(await h.expire('nope', 30_000)).toBe(false);
    expect(await h.delete('4')).toBe(true);
    expect(await h.delete('4')).toBe(false);
    expect(await h.get('4')).toBeUndefined();
  });

  it('encodes fields per type: plain numbers work with HINCRBY, plain strings are stored unquoted', async () => {
    const h = new RedisHash<User>(redis.client, {
      prefix: 'typed:',
      fields: { visits: plainNumberSerializer, name: plainStringSerializer },
    });
    await h.set('1', { name: 'Zoë', visits: 41 });
    expect(await redis.client.hGet('typed:1', 'name')).toBe('Zoë');
    await redis.client.hIncrBy('typed:1', 'visits', 1);
    expect(await h.get('1')).toEqual({ name: 'Zoë', visits: 42 });
  });

  it('keeps a `__proto__` field as own data without touching prototypes', async () => {
    const h = new RedisHash<Record<string, unknown>>(redis.client, { prefix: 'proto:' });
    await h.set('1', JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'));
    const got = await h.get('1');
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect(Object.hasOwn(got as object, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects a corrupted stored field with DeserializationError, and the client keeps working', async () => {
    const h = users();
    await redis.client.hSet('user:bad', { name: '"ok"', visits: '{not json' });
    await expect(h.get('bad')).rejects.toBeInstanceOf(DeserializationError);
    await expect(h.get('bad')).rejects.toThrow(/field `visits` of `bad`/);
    await expect(h.getField('bad', 'visits')).rejects.toBeInstanceOf(DeserializationError);
    expect(await h.getField('bad', 'name')).toBe('ok');
    const typed = new RedisHash<User>(redis.client, {
      prefix: 'user:',
      fields: { visits: plainNumberSerializer },
    });
    await expect(typed.getField('bad', 'visits')).rejects.toBeInstanceOf(DeserializationError);
  });

  it('rejects unserializable values with SerializationError and writes nothing', async () => {
    const h = new RedisHash<Record<string, unknown>>(redis.client, { prefix: 'unser:' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const value of [{ a: 1n }, { a: () => 1 }, { a: Symbol('s') }, { a: cyclic }]) {
      await expect(h.set('1', value)).rejects.toBeInstanceOf(SerializationError);
    }
    expect(await redis.client.exists('unser:1')).toBe(0);
    await h.set('2', { a: 1 });
    await expect(h.update('2', 'a', 2n)).rejects.toBeInstanceOf(SerializationError);
    expect(await h.get('2')).toEqual({ a: 1 });
    const numbers = new RedisHash<{ n: number }>(redis.client, { fields: { n: plainNumberSerializer } });
    await expect(numbers.set('n', { n: Number.NaN })).rejects.toBeInstanceOf(SerializationError);
  });

  it('validates ids, TTLs, values and options eagerly', async () => {
    const h = users();
    await expect(h.set('', { name: 'x', visits: 1 })).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(h.get(42 as unknown as string)).rejects.toThrow(
      /Expected `id` to be a non-empty string, got `42` \(number\)/,
    );
    for (const ttl of [-1, 0, 2 ** 31, Number.POSITIVE_INFINITY]) {
      await expect(h.set('v', { name: 'x', visits: 1 }, { ttl })).rejects.toBeInstanceOf(InvalidOptionError);
      await expect(h.expire('v', ttl)).rejects.toBeInstanceOf(InvalidOptionError);
    }
    await expect(h.set('v', { name: 'x', visits: 1 }, { ttl: Number.NaN })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    await expect(
      h.set('v', { name: 'x', visits: 1 }, { ttl: '100' as unknown as number }),
    ).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(h.set('v', { name: undefined } as unknown as User)).rejects.toBeInstanceOf(RangeError);
    await expect(h.set('v', null as unknown as User)).rejects.toBeInstanceOf(TypeError);
    await expect(h.set('v', { name: 'x', visits: 1 }, { tll: 5 } as never)).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    expect(() => new RedisHash(redis.client, { prefx: 'a' } as never)).toThrow(InvalidOptionError);
    expect(() => new RedisHash({} as never)).toThrow(TypeError);
    expect(() => new RedisHash(redis.client, { serializer: {} as never })).toThrow(TypeError);
    expect(() => new RedisHash(redis.client, { timeout: 0 })).toThrow(InvalidOptionError);
    expect(await redis.client.exists('user:v')).toBe(0);
  });
});

describe('RedisBatch', () => {
  it('writes and reads many typed values in key order, with per-entry TTLs', async () => {
    const batch = new RedisBatch<{ price: number }>(redis.client, { prefix: 'b:' });
    await batch.batchSet([
      { key: 'a', value: { price: 1.5 } },
      { key: 'b', value: { price: 2 }, ttl: 60_000 },
    ]);
    expect(await batch.batchGet(['b', 'missing', 'a'])).toEqual([{ price: 2 }, undefined, { price: 1.5 }]);
    expect(await redis.client.pTTL('b:b')).toBeGreaterThan(50_000);
    expect(await redis.client.pTTL('b:a')).toBe(-1);
    expect(await batch.batchGet([])).toEqual([]);
    await batch.batchSet([]);
  });

  it('handles a thousand keys in one call', async () => {
    const batch = new RedisBatch<number>(redis.client, { prefix: 'many:' });
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
    await batch.batchSet(keys.map((key, i) => ({ key, value: i, ttl: 60_000 })));
    const values = await batch.batchGet(keys);
    expect(values).toEqual(keys.map((_, i) => i));
  });

  it('writes nothing when one value cannot be serialized', async () => {
    const batch = new RedisBatch<unknown>(redis.client, { prefix: 'atomic:' });
    await expect(
      batch.batchSet([
        { key: 'ok', value: 1 },
        { key: 'bad', value: 1n },
      ]),
    ).rejects.toBeInstanceOf(SerializationError);
    expect(await redis.client.exists(['atomic:ok', 'atomic:bad'])).toBe(0);
  });

  it('rejects a corrupted stored value with DeserializationError naming the key', async () => {
    const batch = new RedisBatch<unknown>(redis.client, { prefix: 'corrupt:' });
    await redis.client.set('corrupt:x', '\u0000garbage');
    await expect(batch.batchGet(['x'])).rejects.toThrow(DeserializationError);
    await expect(batch.batchGet(['x'])).rejects.toThrow(/corrupt:x/);
  });

  it('validates keys, entries and TTLs', async () => {
    const batch = new RedisBatch<number>(redis.client);
    await expect(batch.batchGet(['a', ''])).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(batch.batchGet('a' as never)).rejects.toBeInstanceOf(TypeError);
    await expect(batch.batchSet([{ key: 'a', value: 1, ttl: -5 }])).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    await expect(batch.batchSet([{ key: 'a', value: 1, tll: 5 } as never])).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    await expect(batch.batchSet([null as never])).rejects.toBeInstanceOf(TypeError);
  });
});
