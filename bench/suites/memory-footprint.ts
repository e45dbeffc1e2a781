/**
 * Heap bytes per entry of the memory tier against lru-cache 11 for 1M small entries: heap used plus
 * array buffers after a full GC, minus the same before the cache was built. Keys (and string values)
 * are created while filling, so both contenders pay for them alike. Needs `--expose-gc`
 * (bench/run.ts passes it).
 */
import { LRUCache } from 'lru-cache';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';
import { heapReader } from '../lib/heap.js';
import { median, report, type Table } from '../lib/report.js';

const ENTRIES = 1_000_000;
const ROUNDS = 3;

const used = heapReader('memory-footprint');

interface Contender {
  name: string;
  create(): { set(key: string, value: number | string): unknown };
}

const contenders: Contender[] = [
  { name: 'lru-cache 11', create: () => new LRUCache<string, number | string>({ max: ENTRIES }) },
  {
    name: 'stratacache MemoryStore (W-TinyLFU)',
    create: () => new MemoryStore<number | string>({ maxEntries: ENTRIES }),
  },
];

const values: Array<{ name: string; make(i: number): number | string }> = [
  { name: 'small integer', make: (i) => i },
  { name: '~16-char string', make: (i) => `value-${i}-abcdef` },
];

// Holds the cache under measurement so that the GC cannot collect it before the reading.
let _alive: unknown;
const rows: Array<Array<string | number>> = [];
for (const kind of values) {
  const perEntry = contenders.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    contenders.forEach((contender, c) => {
      const before = used();
      const cache = contender.create();
      _alive = cache;
      for (let i = 0; i < ENTRIES; i++) cache.set(`key:${i}`, kind.make(i));
      perEntry[c]!.push((used() - before) / ENTRIES);
      _alive = undefined;
    });
  }
  const reference = median(perEntry[0]!);
  contenders.forEach((contender, c) => {
    const xs = perEntry[c]!;
    rows.push([
      kind.name,
      contender.name,
      Math.min(...xs),
      median(xs),
      Math.max(...xs),
      `${(median(xs) / reference).toFixed(2)}×`,
    ]);
  });
  process.stdout.write(
    `${rows
      .slice(-2)
      .map((r) => r.join(' '))
      .join('\n')}\n`,
  );
}

const table: Table = {
  title: `Memory tier footprint, ${ENTRIES.toLocaleString('en-US')} entries`,
  note: `Bytes per entry = (heapUsed + arrayBuffers after GC, with the cache full) − (the same before), over ${ROUNDS} rounds; keys \`key:<i>\`. Both caches are created with a bound of ${ENTRIES.toLocaleString('en-US')} entries and hold every entry.`,
  columns: ['values', 'contender', 'min B/entry', 'median B/entry', 'max B/entry', 'ratio (median)'],
  rows,
};
report('memory-footprint', [table]);
