import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/strategies/write-behind/backoff.js';
import { writeBehind } from '../../../src/strategies/write-behind/write-behind-queue.js';
import { MapCache } from './map-cache.js';

type Batch = Array<[string, number]>;

describe('writeBehind (memory mode)', () => {
  it('updates the cache at once, coalesces per key, and flushes in batches', async () => {
    const cache = new MapCache();
    const batches: Batch[] = [];
    const wb = writeBehind<number>(cache, {
      saveMany: async (entries) => {
        batches.push(entries);
      },
      batchSize: 3,
      flushIntervalMs: 1000,
    });
    await wb.write('a', 1);
    await wb.write('a', 2);
    expect(cache.map.get('a')).toBe(2);
    await wb.write('b', 1);
    expect(batches).toEqual([]);
    await wb.write('c', 1);
    await wb.flush();
    expect(batches).toEqual([
      [
        ['a', 2],
        ['b', 1],
        ['c', 1],
      ],
    ]);
    expect(wb.stats()).toMatchObject({
      queued: 4,
      coalesced: 1,
      flushed: 3,
      batches: 1,
      pending: 0,
      lagMs: 0,
    });
    await wb.close();
  });

  it('passes versions that increase per key, and deletes through deleteMany', async () => {
    const seen: Array<[string, number]> = [];
    const deleted: string[] = [];
    const wb = writeBehind<number>(new MapCache(), {
      saveMany: async (entries, info) => {
        for (const [i, [k]] of entries.entries()) seen.push([k, info.versions[i]!]);
      },
      deleteMany: async (keys) => {
        deleted.push(...keys);
      },
      flushIntervalMs: 5,
    });
    await wb.write('a', 1);
    await wb.flush();
    await wb.write('a', 2);
    await wb.flush();
    await wb.delete('b');
    await wb.flush();
    expect(seen.map(([k]) => k)).toEqual(['a', 'a']);
    expect(seen[1]![1]).toBeGreaterThan(seen[0]![1]);
    expect(deleted).toEqual(['b']);
    await wb.close();
    await expect(wb.write('a', 3)).rejects.toThrow(/closed/);
  });

  it('never lets a newer write of a key overtake one waiting to retry', async () => {
    const applied: Batch = [];
    let fail = true;
    const wb = writeBehind<number>(new MapCache(), {
      saveMany: async (entries) => {
        if (fail) throw new Error('down');
        applied.push(...entries);
      },
      batchSize: 10,
      flushIntervalMs: 5,
      retry: { attempts: Number.POSITIVE_INFINITY, baseDelayMs: 30, maxDelayMs: 30, jitter: 0 },
    });
    await wb.write('a', 1);
    await new Promise((r) => setTimeout(r, 15));
    await wb.write('b', 1);
    await wb.write('a', 2);
    fail = false;
    await wb.flush();
    expect(applied.filter(([k]) => k === 'a').map(([, v]) => v)).toEqual([2]);
    expect(applied).toContainEqual(['b', 1]);
    await wb.close();
  });

  it("applies backpressure at maxPending: 'wait' blocks until capacity, 'write-through' writes directly", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const saved: Batch = [];
    const wait = writeBehind<number>(new MapCache(), {
      saveMany: async (entries) => {
        await gate;
        saved.push(...entries);
      },
      batchSize: 2,
      flushIntervalMs: 5,
      maxPending: 2,
    });
    await wait.write('a', 1);
    await wait.write('b', 1);
    let third = false;
    const pending = wait.write('c', 1).then(() => {
      third = true;
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(third).toBe(false);
    release();
    await pending;
    await wait.flush();
    expect(saved).toContainEqual(['c', 1]);
    await wait.close();

    const direct: Batch[] = [];
    const wt = writeBehind<number>(new MapCache(), {
      saveMany: async (entries) => {
        direct.push(entries);
        await new Promise((r) => setTimeout(r, 20));
      },
      batchSize: 1,
      flushIntervalMs: 5,
      maxPending: 1,
      onFull: 'write-through',
    });
    await wt.write('a', 1);
    await wt.write('b', 1);
    expect(wt.stats().writeThrough).toBe(1);
    await wt.close();
    expect(direct.flat()).toEqual(
      expect.arrayContaining([
        ['a', 1],
        ['b', 1],
      ]),
    );
  });

  it('rejects a write that waited maxWaitMs for capacity', async () => {
    const wb = writeBehind<number>(new MapCache(), {
      saveMany: () => new Promise<void>(() => undefined),
      batchSize: 1,
      flushIntervalMs: 5,
      maxPending: 1,
      maxWaitMs: 30,
      closeTimeoutMs: 10,
    });
    await wb.write('a', 1);
    await expect(wb.write('b', 1)).rejects.toThrow(/queue full/);
    const errors: unknown[] = [];
    wb.on('error', (e) => errors.push(e));
    await wb.close();
    expect(String(errors[0])).toMatch(/lost \(no journal\)/);
  });

  it('validates its options eagerly', () => {
    const cache = new MapCache();
    const saveMany = async (): Promise<void> => undefined;
    expect(() => writeBehind(cache, { saveMany, batchSize: 0 })).toThrow(
      'Expected `batchSize` to be a positive integer, got `0` (number)',
    );
    expect(() => writeBehind(cache, { saveMany, retry: { atempts: 3 } as never })).toThrow(
      'Unknown option `retry.atempts`',
    );
    expect(() => writeBehind(cache, { saveMany, onFull: 'drop' as never })).toThrow(/onFull/);
  });
});

describe('backoffDelay', () => {
  it('doubles from baseDelayMs up to maxDelayMs and jitters downwards', () => {
    const policy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000, jitter: 0.5 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(policy, a, () => 0))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffDelay(policy, 2, () => 0.999)).toBeCloseTo(100.1, 0);
  });
});
