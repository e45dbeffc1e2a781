/**
 * Heap held by a `Cache` after 2,000,000 distinct keys (issue 12, "memory that only grows"): every piece of
 * per-key state outside L1 must be bounded (L2 read records, cached loader errors, flights, tag times),
 * so the heap stays flat once L1 is full. Contenders: an L1-only cache; loaders that fail under
 * `errorTtl`; tags, a namespace and a version on every call; and an L2 that fails every call (an outage:
 * the cache serves from the loader). Heap used plus array buffers after a full GC, minus the same
 * before the run. Needs `--expose-gc`.
 */
import { Cache } from '../../src/cache.js';
import type { GetOrSetOptions } from '../../src/options.js';
import { chaosStore } from '../../src/testing/chaos-store.js';
import { MapStore } from '../../src/testing/map-store.js';
import { heapReader } from '../lib/heap.js';
import { report, type Table } from '../lib/report.js';

const KEYS = 2_000_000;
const CHECKPOINTS = [250_000, 500_000, 1_000_000, 2_000_000];
const L1_ENTRIES = 10_000;

const used = heapReader('key-memory');

const MB = 2 ** 20;
// Holds the cache under measurement so that the GC cannot collect it before the reading.
let _alive: unknown;

interface Contender {
  name: string;
  cache(): Cache;
  call(cache: Cache, i: number): Promise<unknown>;
}

const value = { id: 1, name: 'a row of about a hundred bytes', tags: ['x', 'y'], at: 1_700_000_000_000 };

const contenders: Contender[] = [
  {
    name: 'getOrSet, L1 only',
    cache: () => new Cache({ l1: { maxEntries: L1_ENTRIES } }),
    call: (cache, i) => cache.getOrSet(`k:${i}`, async () => value),
  },
  {
    name: 'getOrSet, failing loader, errorTtl 60 s',
    cache: () => new Cache({ l1: { maxEntries: L1_ENTRIES } }),
    call: (cache, i) =>
      cache
        .getOrSet(
          `k:${i}`,
          async () => {
            throw new Error('source down');
          },
          { errorTtl: 60_000 },
        )
        .catch(() => undefined),
  },
  (() => {
    const options: GetOrSetOptions = { tags: ['t'], version: 'v2' };
    let ns: Cache | undefined;
    return {
      name: 'getOrSet with a tag per 100 keys, a namespace and a version',
      cache: () => {
        const cache = new Cache({ l1: { maxEntries: L1_ENTRIES } });
        ns = cache.namespace('users');
        return cache;
      },
      call: (_cache: Cache, i: number) => {
        options.tags = [`tag:${Math.floor(i / 100)}`];
        return ns!.getOrSet(`k:${i}`, async () => value, options);
      },
    };
  })(),
  {
    name: 'getOrSet, L1 + an L2 failing every call',
    cache: () => {
      const { store, controls } = chaosStore(new MapStore());
      controls.failRate = 1;
      return new Cache({ l1: { maxEntries: L1_ENTRIES }, l2: store });
    },
    call: (cache, i) => cache.getOrSet(`k:${i}`, async () => value),
  },
];

const rows: Array<Array<string | number>> = [];
for (const c of contenders) {
  const before = used();
  const t0 = performance.now();
  const row: Array<string | number> = [c.name];
  const cache = c.cache();
  cache.on('error', () => {});
  _alive = cache;
  for (let i = 1; i <= KEYS; i++) {
    await c.call(cache, i);
    if (CHECKPOINTS.includes(i)) row.push((used() - before) / MB);
  }
  row.push(performance.now() - t0);
  await cache.close();
  _alive = undefined;
  rows.push(row);
  process.stdout.write(`${row.join(' ')}\n`);
}

const table: Table = {
  title: `Heap after ${KEYS.toLocaleString('en-US')} distinct keys (L1 of ${L1_ENTRIES.toLocaleString('en-US')} entries)`,
  note: 'MB = (heapUsed + arrayBuffers after GC) − (the same before the cache was made), at each count of distinct keys so far; flat from 250,000 on means no per-key state outside the bounded L1. The wall time includes the GCs of the readings.',
  columns: ['contender', ...CHECKPOINTS.map((n) => `MB @ ${n.toLocaleString('en-US')}`), 'wall ms'],
  rows,
};
report('key-memory', [table]);
