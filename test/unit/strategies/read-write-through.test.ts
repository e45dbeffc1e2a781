import { describe, expect, it } from 'vitest';
import { readThrough } from '../../../src/strategies/read-through.js';
import { writeThrough } from '../../../src/strategies/write-through.js';
import { MapCache } from './map-cache.js';

describe('readThrough', () => {
  it('serves hits from the cache and loads only the misses, in one loadMany', async () => {
    const cache = new MapCache();
    cache.map.set('1', 'one');
    const asked: string[][] = [];
    const rt = readThrough<string>(cache, {
      load: async () => 'never',
      loadMany: async (ids) => {
        asked.push(ids);
        return ids.map((id) => (id === '404' ? undefined : `v${id}`));
      },
    });
    expect(await rt.getMany(['1', '2', '3', '404', '2'])).toEqual(['one', 'v2', 'v3', undefined, 'v2']);
    expect(asked).toEqual([['2', '3', '404']]);
    expect(cache.calls.getMany).toBe(1);
    expect(cache.map.get('2')).toBe('v2');
    expect(cache.map.has('404')).toBe(false);
  });

  it('splits batches at maxBatchSize and accepts a Map from loadMany', async () => {
    const sizes: number[] = [];
    const rt = readThrough<number, number>(new MapCache(), {
      load: async (id) => id,
      loadMany: async (ids) => {
        sizes.push(ids.length);
        return new Map(ids.map((id) => [id, id * 2]));
      },
      maxBatchSize: 4,
    });
    const ids = Array.from({ length: 10 }, (_, i) => i);
    expect(await rt.getMany(ids)).toEqual(ids.map((i) => i * 2));
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('treats a failing cache as misses and rejects only the callers of a failing load', async () => {
    const cache = new MapCache();
    cache.failGets = true;
    cache.failSets = true;
    const rt = readThrough<string>(cache, {
      load: async (id) => {
        if (id === 'bad') throw new Error('boom');
        return `v${id}`;
      },
    });
    const [good, bad] = await Promise.allSettled([rt.get('a'), rt.get('bad')]);
    expect(good).toEqual({ status: 'fulfilled', value: 'va' });
    expect(bad.status).toBe('rejected');
  });

  it('joins a call for a key whose load is running instead of loading it again', async () => {
    let loads = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const rt = readThrough<string>(new MapCache(), {
      load: async (id) => {
        loads++;
        await gate;
        return id;
      },
    });
    const first = rt.get('x');
    await new Promise((r) => setImmediate(r));
    const second = rt.get('x');
    release();
    expect(await Promise.all([first, second])).toEqual(['x', 'x']);
    expect(loads).toBe(1);
  });

  it('validates its options eagerly', () => {
    const cache = new MapCache();
    expect(() => readThrough(cache, { load: async () => 1, ttl: -1 })).toThrow(
      'Expected `ttl` to be a positive number of milliseconds',
    );
    expect(() => readThrough(cache, { load: async () => 1, tll: 5 } as never)).toThrow(
      'Unknown option `readThrough.tll`',
    );
  });
});

describe('writeThrough', () => {
  it('serializes writes per id so the cache ends with the source order', async () => {
    const cache = new MapCache();
    const order: number[] = [];
    const wt = writeThrough<number>(cache, {
      save: async (_id, v) => {
        await new Promise((r) => setTimeout(r, v === 1 ? 20 : 0));
        order.push(v);
      },
    });
    await Promise.all([wt.write('k', 1), wt.write('k', 2)]);
    expect(order).toEqual([1, 2]);
    expect(cache.map.get('k')).toBe(2);
  });

  it('reports a cache that could not even be invalidated', async () => {
    const cache = new MapCache();
    cache.failSets = true;
    cache.failDeletes = true;
    const seen: boolean[] = [];
    const wt = writeThrough<number>(cache, { save: async () => undefined });
    wt.on('cache-error', (_k, _e, invalidated) => seen.push(invalidated));
    await wt.write('k', 1);
    expect(seen).toEqual([false]);
  });

  it('deletes from the source, then the cache', async () => {
    const cache = new MapCache();
    cache.map.set('k', 1);
    const deleted: string[] = [];
    const wt = writeThrough<number>(cache, {
      save: async () => undefined,
      delete: async (id) => {
        deleted.push(id);
      },
    });
    await wt.delete('k');
    expect(deleted).toEqual(['k']);
    expect(cache.map.has('k')).toBe(false);
    await expect(writeThrough(cache, { save: async () => undefined }).delete('k')).rejects.toThrow(
      /needs the `delete` option/,
    );
  });
});
