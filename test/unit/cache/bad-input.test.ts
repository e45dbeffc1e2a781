import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import {
  ClosedError,
  InvalidKeyError,
  InvalidOptionError,
  isCacheError,
  SerializationError,
} from '../../../src/errors.js';
import { encodeEnvelope } from '../../../src/internal/envelope.js';
import { jsonSerializer } from '../../../src/serializer/json.js';
import { MapStore } from '../../../src/testing/map-store.js';

const circular: Record<string, unknown> = { a: 1 };
circular.self = circular;

describe('bad keys', () => {
  const cache = new Cache();
  it.each([
    ['an empty key', ''],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an object', { k: 1 }],
    ['a symbol', Symbol('k')],
    ['a key over maxKeyLength', 'x'.repeat(1025)],
  ])('rejects %s with InvalidKeyError', async (_name, key) => {
    const err = await cache.get(key as string).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidKeyError);
    expect((err as InvalidKeyError).code).toBe('ERR_CACHE_INVALID_KEY');
    await expect(cache.set(key as string, 1)).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(cache.getOrSet(key as string, async () => 1)).rejects.toBeInstanceOf(InvalidKeyError);
  });

  it('accepts keys with glob, hash-tag, unicode and whitespace characters', async () => {
    for (const key of ['a*b?[c]', '{tag}:x', 'ключ 🔑', ' spaced ', 'x'.repeat(1024)]) {
      await cache.set(key, key);
      expect(await cache.get(key)).toBe(key);
    }
  });

  it('rejects a non-array to getMany', async () => {
    await expect(cache.getMany('a' as unknown as string[])).rejects.toThrow(TypeError);
  });
});

describe('values that cannot be serialized', () => {
  const cache = new Cache({ l2: new MapStore() });
  it.each([
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a circular object', circular],
    ['a nested function', { a: { b: () => 1 } }],
    ['a class instance', { at: new (class Money {})() }],
    ['a nested symbol', { s: Symbol('x') }],
    ['an object with symbol keys', { [Symbol('k')]: 1 }],
    ['a WeakMap', [new WeakMap()]],
  ])('rejects %s with SerializationError and writes nothing', async (_name, value) => {
    const err = await cache.set('bad', value).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SerializationError);
    expect(isCacheError(err)).toBe(true);
    expect(await cache.get('bad')).toBeUndefined();
    await expect(cache.getOrSet('bad2', async () => value)).rejects.toBeInstanceOf(SerializationError);
    expect(await cache.get('bad2')).toBeUndefined();
  });

  it('rejects undefined values with a message that says what to do', async () => {
    await expect(cache.set('u', undefined)).rejects.toThrow(/use delete\(\), or cache `null`/);
  });

  it('error messages name the problem', () => {
    expect(() => jsonSerializer.serialize({ a: 1n })).toThrow('Cannot serialize a bigint at key `a` as JSON');
    expect(() => jsonSerializer.serialize(1n)).toThrow(/convert it to a string .*custom `serializer`/);
    expect(() => jsonSerializer.serialize(1n)).not.toThrow(/msgpack/);
  });
});

describe('corrupted stored bytes are counted misses', () => {
  const envelope = (payload: Uint8Array, tags?: string[]): Uint8Array =>
    encodeEnvelope(
      {
        value: 1,
        createdAt: 1,
        expiresAt: 9e15,
        staleUntil: 9e15,
        delta: 0,
        sliding: 0,
        maxAgeAt: Number.POSITIVE_INFINITY,
        tags,
        version: undefined,
        settled: undefined,
      },
      payload,
    );
  it.each([
    ['foreign text', new TextEncoder().encode('hello, not ours')],
    ['empty bytes', new Uint8Array(0)],
    ['a truncated envelope', envelope(new TextEncoder().encode('{"x":1}'), ['a']).subarray(0, 40)],
    ['a valid header with invalid JSON', envelope(new TextEncoder().encode('{nope'))],
    ['an unknown envelope format', new Uint8Array([0x53, 0x43, 99, 0, ...new Array(40).fill(0)])],
    ['invalid UTF-8', envelope(new Uint8Array([0xff, 0xfe, 0xfd]))],
  ])('%s', async (_name, bytes) => {
    const l2 = new MapStore();
    const cache = new Cache({ l2, l1: false, prefix: 'p:' });
    const errors: string[] = [];
    cache.on('error', (e) => errors.push(e.operation));
    await l2.set('p:k', bytes);
    expect(await cache.get('k')).toBeUndefined();
    expect(await cache.getOrSet('k', async () => 'loaded')).toBe('loaded');
    expect(cache.stats().corrupt).toBe(2);
    expect(errors).toEqual(['decode', 'decode']);
    expect(await cache.get('k')).toBe('loaded');
  });

  it('drops __proto__ keys from stored JSON', () => {
    const v = jsonSerializer.deserialize(
      new TextEncoder().encode('{"__proto__":{"polluted":true},"a":1}'),
    ) as Record<string, unknown>;
    expect(v.a).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
  });
});

describe('bad options', () => {
  it.each([
    ['an unknown option', { tll: 5 }, InvalidOptionError, /Unknown option `options.tll`/],
    ['jitter above 0.9', { jitter: 2 }, InvalidOptionError, /jitter/],
    ['negative grace', { grace: -5 }, InvalidOptionError, /grace/],
    ['a non-integer maxEntries', { l1: { maxEntries: 1.5 } }, InvalidOptionError, /l1.maxEntries/],
    ['soft timeout ≥ hard', { timeouts: { soft: 100, hard: 50 } }, InvalidOptionError, /soft/],
    ['a bad serializer', { serializer: {} }, InvalidOptionError, /serializer/],
    ['bus without pub/sub L2', { bus: true }, InvalidOptionError, /bus/],
    ['a distributed lock without L2', { stampede: { distributed: true } }, InvalidOptionError, /stampede/],
    ['no tier at all', { l1: false }, InvalidOptionError, /needs a tier/],
    ['a non-store l2', { l2: { get: 1 } }, InvalidOptionError, /l2/],
    ['an invalid beta', { earlyRefresh: { beta: -1 } }, InvalidOptionError, /beta/],
    [
      'a non-boolean stampede.distributed',
      { stampede: { distributed: 'yes' } },
      InvalidOptionError,
      /`stampede.distributed` to be a boolean, got "yes"/,
    ],
    [
      'a bus without publish()',
      { bus: { subscribe() {}, close() {} } },
      InvalidOptionError,
      /`bus` to be a boolean or a Bus/,
    ],
    ['a bus that is a string', { bus: 'redis' }, InvalidOptionError, /`bus`.*got "redis"/],
    ['a ttl profile of 0', { ttlProfiles: { a: 0 } }, InvalidOptionError, /ttlProfiles.a/],
  ])('%s', (_name, options, Err, message) => {
    expect(() => new Cache(options as never)).toThrow(Err);
    expect(() => new Cache(options as never)).toThrow(message);
  });

  it('option errors are branded CacheErrors with the code ERR_CACHE_INVALID_OPTION', () => {
    for (const options of [{ jitter: 2 }, { serializer: {} }, { l1: { maxEntries: 1.5 } }, { prefix: 1 }]) {
      let caught: unknown;
      try {
        new Cache(options as never);
      } catch (err) {
        caught = err;
      }
      expect(isCacheError(caught)).toBe(true);
      expect(caught).toMatchObject({ code: 'ERR_CACHE_INVALID_OPTION', name: 'InvalidOptionError' });
    }
  });

  it('validates errorTtl and per-call sliding', async () => {
    const cache = new Cache();
    const loader = async () => {
      throw new Error('down');
    };
    await expect(cache.getOrSet('k', loader, { errorTtl: '1000' as never })).rejects.toThrow(
      /`errorTtl` to be a number of milliseconds, got "1000" \(string\)/,
    );
    await expect(cache.getOrSet('k', loader, { errorTtl: -1 })).rejects.toThrow(InvalidOptionError);
    await expect(cache.set('k', 1, { sliding: 'yes' as never })).rejects.toThrow(
      /`sliding` to be a boolean, got "yes"/,
    );
  });

  it('rejects bad per-call options', async () => {
    const cache = new Cache();
    await expect(cache.set('k', 1, { tags: 'x' as unknown as string[] })).rejects.toThrow(TypeError);
    await expect(cache.set('k', 1, { tags: [''] })).rejects.toThrow(InvalidOptionError);
    await expect(cache.set('k', 1, { version: {} as unknown as string })).rejects.toThrow(TypeError);
    await expect(cache.set('k', 1, { nope: 1 } as never)).rejects.toThrow(/Unknown option `options.nope`/);
    await expect(cache.getOrSet('k', 'notfn' as never)).rejects.toThrow(/loader/);
    expect(() => cache.namespace('bad name!')).toThrow(InvalidOptionError);
    await expect(cache.invalidatePattern('')).rejects.toThrow(TypeError);
    await expect(cache.invalidateTags('t' as never)).rejects.toThrow(TypeError);
  });

  it('rejects calls after close', async () => {
    const cache = new Cache();
    await cache.close();
    await expect(cache.get('k')).rejects.toBeInstanceOf(ClosedError);
    await expect(cache.getOrSet('k', async () => 1)).rejects.toBeInstanceOf(ClosedError);
  });
});

describe('serializability without an L2', () => {
  it('checks values without encoding them and gives the same errors as with an L2', async () => {
    const l1Only = new Cache();
    const withL2 = new Cache({ l2: new MapStore() });
    for (const bad of [{ f: () => 1 }, { c: new (class Point {})() }, circular, [Symbol('s')]]) {
      const a = await l1Only.set('k', bad).catch((e: unknown) => e);
      const b = await withL2.set('k', bad).catch((e: unknown) => e);
      expect(a).toBeInstanceOf(SerializationError);
      expect(b).toBeInstanceOf(SerializationError);
    }
    const date = new Date(0);
    await l1Only.set('d', { date, nested: [1, 'x', null, { y: true }] });
    expect(await l1Only.get('d')).toEqual({ date, nested: [1, 'x', null, { y: true }] });
  });
});
