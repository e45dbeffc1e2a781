import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { InvalidOptionError, SerializationError } from '../../../src/errors.js';
import { MapStore } from '../../../src/testing/map-store.js';

type Row = { n: number; list: number[]; when: Date; tags: Set<string> };
const row = (): Row => ({ n: 1, list: [1], when: new Date(0), tags: new Set(['a']) });
const mutate = (r: Row): void => {
  r.n = 99;
  r.list.push(2);
  r.when.setTime(5);
  r.tags.add('b');
};

describe('l1.clone off (the default): L1 hands out the stored reference', () => {
  it('a mutation of what was set, or of what get returned, shows in later L1 reads (documented)', async () => {
    const cache = new Cache();
    const v = row();
    await cache.set('k', v);
    const got = await cache.get<Row>('k');
    expect(got).toBe(v);
    mutate(got!);
    expect((await cache.get<Row>('k'))!.n).toBe(99);
    await cache.close();
  });
});

describe('l1.clone on: no mutation reaches the cache', () => {
  it('set → get: the value set and every value read are copies', async () => {
    const cache = new Cache({ l1: { clone: true } });
    const v = row();
    const pending = cache.set('k', v);
    mutate(v); // before the set even resolves
    await pending;
    const got = (await cache.get<Row>('k'))!;
    expect(got).toEqual(row());
    mutate(got);
    expect(await cache.get('k')).toEqual(row());
    const [many] = await cache.getMany<Row>(['k']);
    mutate(many!);
    expect(await cache.getOrSet('k', async () => row())).toEqual(row());
    await cache.close();
  });

  it('setMany copies each value', async () => {
    const cache = new Cache({ l1: { clone: true } });
    const v = row();
    const pending = cache.setMany([{ key: 'k', value: v }]);
    mutate(v);
    await pending;
    expect(await cache.get('k')).toEqual(row());
    await cache.close();
  });

  it('getOrSet: the loader value, the callers sharing the load and later hits each hold their own', async () => {
    const cache = new Cache({ l1: { clone: true } });
    const loaded = row();
    const loader = async () => loaded;
    const [a, b] = await Promise.all([cache.getOrSet('k', loader), cache.getOrSet('k', loader)]);
    expect(a).toEqual(row());
    expect(a).not.toBe(b);
    mutate(a);
    mutate(loaded);
    expect(b).toEqual(row());
    const hit = await cache.getOrSet('k', loader);
    expect(hit).toEqual(row());
    mutate(hit);
    expect(await cache.getOrSet('k', loader)).toEqual(row());
    await cache.close();
  });

  it('a value read from L2 into L1 is a copy for the reader', async () => {
    const l2 = new MapStore();
    const writer = new Cache({ l2 });
    const reader = new Cache({ l2, l1: { clone: true } });
    await writer.set('k', row());
    const first = (await reader.get<Row>('k'))!;
    expect(reader.stats().tiers.l2.hits).toBe(1);
    mutate(first);
    expect(await reader.get('k')).toEqual(row());
    expect(reader.stats().tiers.l1.hits).toBe(1);
    const viaLoad = await reader.getOrSet<Row>('k2', async () => row());
    mutate(viaLoad);
    expect(await reader.get('k2')).toEqual(row());
    await writer.close();
    await reader.close();
  });

  it('a stale value handed to the loader is a copy', async () => {
    let now = 0;
    const clock = { now: () => now };
    const cache = new Cache({ l1: { clone: true }, clock, ttl: 1_000, grace: 10_000 });
    await cache.set('k', row());
    now = 2_000;
    const v = await cache.getOrSet<Row>('k', async ({ stale }) => {
      mutate(stale!);
      throw new Error('down');
    });
    expect(v).toEqual(row()); // fail-safe serves the untouched stale value
    await cache.close();
  });

  it('a Buffer stays a Buffer, and every tier returns the same value', async () => {
    const l2 = new MapStore();
    const a = new Cache({ l2, l1: { clone: true } });
    const b = new Cache({ l2, l1: { clone: true } });
    const value = { buf: Buffer.from('bytes'), m: new Map([['x', 1n]]) };
    await a.set('k', value);
    const fromL1 = await a.get<typeof value>('k');
    const fromL2 = await b.get<typeof value>('k');
    expect(Buffer.isBuffer(fromL1!.buf)).toBe(true);
    expect(Buffer.isBuffer(fromL2!.buf)).toBe(true);
    expect(fromL1).toEqual(value);
    expect(fromL2).toEqual(fromL1);
    await a.close();
    await b.close();
  });

  it('a value the copier cannot represent is a SerializationError naming the path', async () => {
    // A custom serializer may accept class instances; the copy follows the default's rules.
    const serializer = { name: 'any', serialize: () => new Uint8Array(), deserialize: () => null };
    const cache = new Cache({ l1: { clone: true }, serializer });
    await expect(cache.set('k', { at: new (class Decimal {})() })).rejects.toThrow(SerializationError);
    await expect(cache.set('k', { at: new (class Decimal {})() })).rejects.toThrow(/`value.at`.*Decimal/);
    await cache.close();
  });

  it('rejects a non-boolean l1.clone with InvalidOptionError', () => {
    let caught: unknown;
    try {
      new Cache({ l1: { clone: 'yes' as never } });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidOptionError);
    expect(caught).toMatchObject({ code: 'ERR_CACHE_INVALID_OPTION' });
    expect((caught as Error).message).toMatch(/`l1.clone` to be a boolean, got "yes"/);
  });
});
