/**
 * The strategies against a real database: PGlite always, and the Postgres server at DATABASE_URL when
 * set. The cache is the real `Cache` facade (memory tier).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import type { CachePort } from '../../../src/strategies/cache-port.js';
import { readThrough } from '../../../src/strategies/read-through.js';
import type { DeadLetter } from '../../../src/strategies/write-behind/write-behind-queue.js';
import { writeBehind } from '../../../src/strategies/write-behind/write-behind-queue.js';
import { writeThrough } from '../../../src/strategies/write-through.js';
import { DATABASES, KvSource, type LogRow, type SqlDb } from '../../helpers/db.js';

type Row = { n: number; key: string };

/** Asserts that, per key, the effective changes have strictly increasing versions and values. */
function expectPerKeyOrder(log: readonly LogRow[]): void {
  const last = new Map<string, { version: number; n: number }>();
  for (const row of log) {
    const n = (row.value as Row).n;
    const prev = last.get(row.key);
    if (prev !== undefined) {
      expect(row.version, `version order of ${row.key}`).toBeGreaterThan(prev.version);
      expect(n, `value order of ${row.key}`).toBeGreaterThan(prev.n);
    }
    last.set(row.key, { version: row.version, n });
  }
}

describe.each(DATABASES)('strategies on $name', ({ open }) => {
  let db: SqlDb;
  let source: KvSource<Row>;
  let cache: Cache;

  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db.close();
  });

  const fresh = async (): Promise<void> => {
    source = await KvSource.create<Row>(db);
    cache = new Cache({ l1: { maxEntries: 10_000 } });
  };
  afterEach(async () => {
    await cache.close();
    await source.drop();
  });

  it('read-through: N concurrent gets for K keys cost one cache getMany and one source query', async () => {
    await fresh();
    const K = 20;
    for (let i = 0; i < K; i++) await source.save(`user:${i}`, { n: i, key: `user:${i}` });
    source.queries = 0;
    const port: CachePort = cache;
    const users = readThrough<Row, number>(port, {
      load: (id) => source.load(`user:${id}`),
      loadMany: async (ids) => {
        const rows = await source.loadMany(ids.map((id) => `user:${id}`));
        return ids.map((id) => rows.get(`user:${id}`));
      },
      key: (id) => `user:${id}`,
    });
    const ids = Array.from({ length: 200 }, (_, i) => i % K);
    const got = await Promise.all(ids.map((id) => users.get(id)));
    expect(got.map((r) => r?.n)).toEqual(ids);
    expect(source.queries).toBe(1);

    // Now cached: a second round never touches the source, and unknown ids stay undefined.
    const again = await users.getMany([...ids, 999]);
    expect(again.slice(0, -1).map((r) => r?.n)).toEqual(ids);
    expect(again.at(-1)).toBeUndefined();
    expect(source.queries).toBe(2);
  });

  it('write-through: a failed source write reaches the caller and leaves the cache untouched', async () => {
    await fresh();
    const users = writeThrough<Row, string>(cache, {
      save: (id, value) => source.save(id, value),
      load: (id) => source.load(id),
    });
    await users.write('u1', { n: 1, key: 'u1' });
    expect(await cache.get('u1')).toEqual({ n: 1, key: 'u1' });
    expect((await source.rows()).get('u1')?.value).toEqual({ n: 1, key: 'u1' });

    source.down = true;
    await expect(users.write('u1', { n: 2, key: 'u1' })).rejects.toThrow(/unreachable/);
    source.down = false;
    expect(await cache.get('u1')).toEqual({ n: 1, key: 'u1' });
    expect((await source.rows()).get('u1')?.value).toEqual({ n: 1, key: 'u1' });
  });

  it('write-through: a failed cache write after a good source write invalidates the key', async () => {
    await fresh();
    const real: CachePort = cache;
    let failSets = false;
    const flaky: CachePort = {
      get: (k) => real.get(k),
      getMany: (k) => real.getMany(k),
      set: (k, v, o) => (failSets ? Promise.reject(new Error('cache write failed')) : real.set(k, v, o)),
      setMany: (e) => real.setMany(e),
      delete: (k) => real.delete(k),
      deleteMany: (k) => real.deleteMany(k),
    };
    const users = writeThrough<Row, string>(flaky, {
      save: (id, value) => source.save(id, value),
      load: (id) => source.load(id),
    });
    const errors: string[] = [];
    users.on('cache-error', (key, _err, invalidated) => errors.push(`${key}:${invalidated}`));
    await users.write('u1', { n: 1, key: 'u1' });
    failSets = true;
    await users.write('u1', { n: 2, key: 'u1' });
    expect(errors).toEqual(['u1:true']);
    expect(await cache.get('u1')).toBeUndefined();
    failSets = false;
    expect(await users.read('u1')).toEqual({ n: 2, key: 'u1' });
  });

  it('write-behind: 10,000 writes over 100 keys coalesce into a few hundred rows, final state correct', async () => {
    await fresh();
    const wb = writeBehind<Row>(cache, {
      saveMany: (entries, info) => source.saveMany(entries, info),
      // More than the 100 keys, so batches leave by interval and coalesce hot keys meanwhile.
      batchSize: 1000,
      flushIntervalMs: 20,
      maxPending: 1000,
      retry: { attempts: 5, baseDelayMs: 10, maxDelayMs: 100 },
    });
    const last = new Map<string, number>();
    for (let n = 0; n < 10_000; n++) {
      const key = `k${(n * 7919) % 100}`;
      last.set(key, n);
      await wb.write(key, { n, key });
      if (n % 500 === 499) await new Promise((r) => setTimeout(r, 5));
    }
    await wb.flush();
    const stats = wb.stats();
    await wb.close();
    const rows = await source.rows();
    expect(rows.size).toBe(100);
    for (const [key, n] of last) expect(rows.get(key)?.value.n, key).toBe(n);
    expect(source.rowsWritten).toBeGreaterThanOrEqual(100);
    expect(source.rowsWritten).toBeLessThan(2500);
    expect(stats.flushed).toBe(source.rowsWritten);
    expect(stats.coalesced).toBe(10_000 - stats.flushed);
    expect(stats.pending).toBe(0);
    expectPerKeyOrder(await source.log());
    for (const [key, n] of last) expect((await cache.get<Row>(key))?.n).toBe(n);
  });

  it('write-behind: writes keep being accepted through a database outage and land in per-key order', async () => {
    await fresh();
    const retries: number[] = [];
    const wb = writeBehind<Row>(cache, {
      saveMany: (entries, info) => source.saveMany(entries, info),
      batchSize: 50,
      flushIntervalMs: 20,
      maxPending: 10_000,
      retry: { attempts: Number.POSITIVE_INFINITY, baseDelayMs: 20, maxDelayMs: 400 },
    });
    wb.on('retry', (_keys, attempt) => retries.push(attempt));
    const last = new Map<string, number>();
    let n = 0;
    const writeFor = async (ms: number): Promise<void> => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        for (let i = 0; i < 20; i++, n++) {
          const key = `k${n % 137}`;
          last.set(key, n);
          await wb.write(key, { n, key });
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    await writeFor(300);
    source.down = true;
    // The database is unreachable for 10 s while writes continue.
    await writeFor(10_000);
    expect(wb.stats().pending).toBeGreaterThan(0);
    expect(retries.length).toBeGreaterThan(0);
    source.down = false;
    await writeFor(300);
    await wb.flush();
    await wb.close();
    const rows = await source.rows();
    expect(rows.size).toBe(137);
    for (const [key, v] of last) expect(rows.get(key)?.value.n, key).toBe(v);
    expectPerKeyOrder(await source.log());
    expect(wb.stats().deadLettered).toBe(0);
  });

  it('write-behind: a poison entry is dead-lettered after N attempts without blocking the rest', async () => {
    await fresh();
    source.poison = (key) => key === 'k13';
    const dead: Array<DeadLetter<Row>> = [];
    const wb = writeBehind<Row>(cache, {
      saveMany: (entries, info) => source.saveMany(entries, info),
      batchSize: 32,
      flushIntervalMs: 10,
      maxPending: 1000,
      retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 50 },
      onDeadLetter: (entry) => {
        dead.push(entry);
      },
    });
    for (let n = 0; n < 64; n++) await wb.write(`k${n}`, { n, key: `k${n}` });
    await wb.flush();
    const rows = await source.rows();
    expect(dead.map((d) => [d.key, d.attempts])).toEqual([['k13', 4]]);
    expect(rows.size).toBe(63);
    expect(rows.has('k13')).toBe(false);
    expect(wb.stats().deadLettered).toBe(1);
    // The key is free again: a later good write of it goes through.
    source.poison = undefined;
    await wb.write('k13', { n: 100, key: 'k13' });
    await wb.flush();
    expect((await source.rows()).get('k13')?.value.n).toBe(100);
    await wb.close();
  });
});
