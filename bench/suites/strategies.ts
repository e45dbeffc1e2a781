/**
 * The strategies against a real database (PGlite, in process):
 * 1. Writes: write-behind (coalescing, batches) vs write-through (one source write per call) on a hot-key
 *    Zipf stream (s = 0.99 over 1,000 keys), 16 concurrent writers; writes/s and rows written per
 *    accepted write. Write-behind's rate is given both as accepted/s and end to end (until flushed).
 * 2. Reads: read-through `getMany` of 100 ids vs 100 concurrent `Cache.getOrSet` calls, cold cache
 *    each time; time per 100 ids and source queries.
 * Each contender runs in the same process, ≥ 3 rounds; median (min–max) reported, final rows checked.
 */
import { performance } from 'node:perf_hooks';
import { Cache } from '../../src/cache.js';
import { readThrough } from '../../src/strategies/read-through.js';
import { writeBehind } from '../../src/strategies/write-behind/write-behind-queue.js';
import { writeThrough } from '../../src/strategies/write-through.js';
import { KvSource, openPglite, type SqlDb } from '../../test/helpers/db.js';
import { median, report, type Table } from '../lib/report.js';
import { zipfTrace } from '../lib/traces.js';

const ROUNDS = 3;
const KEYS = 1000;
const WRITES = 5000;
const WRITERS = 16;
const READ_BATCHES = 40;
const IDS_PER_BATCH = 100;

type Row = { key: string; n: number; payload: string };
const PAYLOAD = 'x'.repeat(200);

interface WriteResult {
  acceptedPerSec: number;
  endToEndPerSec: number;
  rowsPerWrite: number;
  queries: number;
}

async function runWrites(db: SqlDb, mode: 'behind' | 'through', seed: number): Promise<WriteResult> {
  const source = await KvSource.create<Row>(db);
  const cache = new Cache({ l1: { maxEntries: 10_000 } });
  const trace = zipfTrace(KEYS, WRITES, 0.99, seed);
  const last = new Map<string, number>();
  const behind =
    mode === 'behind'
      ? writeBehind<Row>(cache, {
          saveMany: (entries, info) => source.saveMany(entries, info),
          batchSize: 200,
          flushIntervalMs: 20,
          maxPending: 10_000,
        })
      : undefined;
  const through = writeThrough<Row, string>(cache, { save: (id, value) => source.save(id, value) });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      for (let i = next++; i < WRITES; i = next++) {
        const key = `k${trace[i]}`;
        const row = { key, n: i, payload: PAYLOAD };
        last.set(key, i);
        if (behind !== undefined) await behind.write(key, row);
        else await through.write(key, row);
      }
    }),
  );
  const accepted = performance.now() - t0;
  await behind?.flush();
  const total = performance.now() - t0;
  await behind?.close();
  const rows = await source.rows();
  for (const [key, n] of last) {
    const got = rows.get(key)?.value.n;
    // Concurrent writers may finish a key's writes out of index order; the row must be one of them.
    if (got === undefined) throw new Error(`${mode}: ${key} missing in the database`);
    if (mode === 'behind' && got > n) throw new Error(`${mode}: ${key} holds ${got} after last write ${n}`);
  }
  const result = {
    acceptedPerSec: WRITES / (accepted / 1000),
    endToEndPerSec: WRITES / (total / 1000),
    rowsPerWrite: source.rowsWritten / WRITES,
    queries: source.queries,
  };
  await cache.close();
  await source.drop();
  return result;
}

interface ReadResult {
  msPer100: number;
  queriesPer100: number;
}

async function runReads(db: SqlDb, mode: 'read-through' | 'getOrSet'): Promise<ReadResult> {
  const source = await KvSource.create<Row>(db);
  for (let i = 0; i < KEYS; i++) await source.save(`r${i}`, { key: `r${i}`, n: i, payload: PAYLOAD });
  source.queries = 0;
  let elapsed = 0;
  for (let b = 0; b < READ_BATCHES; b++) {
    const cache = new Cache({ l1: { maxEntries: 10_000 } });
    const ids = Array.from({ length: IDS_PER_BATCH }, (_, i) => `r${(b * 37 + i * 7) % KEYS}`);
    const t0 = performance.now();
    let got: Array<Row | undefined>;
    if (mode === 'read-through') {
      const rt = readThrough<Row>(cache, {
        load: (id) => source.load(id),
        loadMany: async (batch) => source.loadMany(batch),
      });
      got = await rt.getMany(ids);
    } else {
      got = await Promise.all(
        ids.map((id) => cache.getOrSet(id, async () => (await source.load(id)) as Row)),
      );
    }
    elapsed += performance.now() - t0;
    for (let i = 0; i < ids.length; i++) {
      if (got[i]?.key !== ids[i]) throw new Error(`${mode}: wrong row for ${ids[i]}`);
    }
    await cache.close();
  }
  const result = { msPer100: elapsed / READ_BATCHES, queriesPer100: source.queries / READ_BATCHES };
  await source.drop();
  return result;
}

const fmt = (xs: number[], digits = 0): string =>
  `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

const db = await openPglite();
const writes = { behind: [] as WriteResult[], through: [] as WriteResult[] };
const reads = { 'read-through': [] as ReadResult[], getOrSet: [] as ReadResult[] };
// One discarded round first, so JIT warm-up does not land in the first measured round.
await runWrites(db, 'behind', 99);
await runWrites(db, 'through', 99);
await runReads(db, 'read-through');
await runReads(db, 'getOrSet');
for (let round = 0; round < ROUNDS; round++) {
  writes.behind.push(await runWrites(db, 'behind', 100 + round));
  writes.through.push(await runWrites(db, 'through', 100 + round));
  reads['read-through'].push(await runReads(db, 'read-through'));
  reads.getOrSet.push(await runReads(db, 'getOrSet'));
}
await db.close();

const throughE2e = median(writes.through.map((r) => r.endToEndPerSec));
const writeTable: Table = {
  title: `Write-behind vs write-through, Zipf s = 0.99 over ${KEYS.toLocaleString('en-US')} keys, PGlite`,
  note: `${WRITES.toLocaleString('en-US')} writes of ~250-byte rows by ${WRITERS} concurrent writers per round, ${ROUNDS} rounds, median (min–max). Write-behind: batchSize 200, flushIntervalMs 20, no journal. "end to end" includes the final flush. Ratio = end-to-end writes/s vs write-through.`,
  columns: [
    'strategy',
    'accepted writes/s',
    'end-to-end writes/s',
    'rows written per write',
    'source calls',
    'ratio',
  ],
  rows: (['behind', 'through'] as const).map((mode) => {
    const rs = writes[mode];
    return [
      mode === 'behind' ? 'write-behind' : 'write-through',
      fmt(rs.map((r) => r.acceptedPerSec)),
      fmt(rs.map((r) => r.endToEndPerSec)),
      fmt(
        rs.map((r) => r.rowsPerWrite),
        3,
      ),
      fmt(rs.map((r) => r.queries)),
      median(rs.map((r) => r.endToEndPerSec)) / throughE2e,
    ];
  }),
};

const getOrSetMs = median(reads.getOrSet.map((r) => r.msPer100));
const readTable: Table = {
  title: `Read-through getMany of ${IDS_PER_BATCH} ids vs ${IDS_PER_BATCH} getOrSet calls, cold cache, PGlite`,
  note: `${READ_BATCHES} fetches of ${IDS_PER_BATCH} distinct ids per round (a fresh Cache each fetch), ${ROUNDS} rounds, median (min–max). getOrSet calls run concurrently (Promise.all). Ratio = speed vs getOrSet.`,
  columns: ['contender', `ms per ${IDS_PER_BATCH} ids`, `source queries per ${IDS_PER_BATCH} ids`, 'ratio'],
  rows: (['read-through', 'getOrSet'] as const).map((mode) => {
    const rs = reads[mode];
    return [
      mode === 'read-through' ? 'readThrough.getMany' : 'Cache.getOrSet ×100',
      fmt(
        rs.map((r) => r.msPer100),
        2,
      ),
      fmt(rs.map((r) => r.queriesPer100)),
      getOrSetMs / median(rs.map((r) => r.msPer100)),
    ];
  }),
};

report('strategies', [writeTable, readTable]);
