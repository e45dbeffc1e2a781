/**
 * Throughput of the memory tier's synchronous get/set against lru-cache 11 on a Zipf stream: every
 * request is a `get`, and a miss is followed by a `set`, as a read-through cache would do. Rounds
 * alternate the order of the contenders; the table gives min/median/max over the rounds and the ratio
 * of the medians.
 */
import { LRUCache } from 'lru-cache';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';
import { median, report, type Table } from '../lib/report.js';
import { createRandom, keyNames, zipfTrace } from '../lib/traces.js';

const KEYS = 100_000;
const REQUESTS = 1_000_000;
const ROUNDS = 7;

interface SyncCache {
  get(key: string): unknown;
  set(key: string, value: string): unknown;
}

interface Contender {
  name: string;
  create(capacity: number): SyncCache;
}

const contenders: Contender[] = [
  { name: 'lru-cache 11', create: (max) => new LRUCache<string, string>({ max }) },
  {
    name: 'stratacache MemoryStore (W-TinyLFU)',
    create: (maxEntries) => new MemoryStore<string>({ maxEntries, random: createRandom(1) }),
  },
];

/** Runs the stream once over a fresh cache; returns requests per second. */
function run(contender: Contender, capacity: number, names: string[], trace: Uint32Array): number {
  const cache = contender.create(capacity);
  const value = 'v';
  let hits = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < trace.length; i++) {
    const key = names[trace[i]!]!;
    if (cache.get(key) === undefined) cache.set(key, value);
    else hits++;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (hits === 0) throw new Error('no hits: the stream is broken');
  return trace.length / seconds;
}

const tables: Table[] = [];
for (const s of [0.99, 0.8]) {
  const trace = zipfTrace(KEYS, REQUESTS, s, 7);
  const names = keyNames(trace);
  for (const share of [0.01, 0.1]) {
    const capacity = KEYS * share;
    for (const c of contenders) run(c, capacity, names, trace);
    const samples = contenders.map(() => [] as number[]);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) samples[i]!.push(run(contenders[i]!, capacity, names, trace));
    }
    const reference = median(samples[0]!);
    tables.push({
      title: `Memory tier get/set throughput, Zipf ${s}, capacity ${share * 100}% (${capacity.toLocaleString('en-US')} entries)`,
      note: `${REQUESTS.toLocaleString('en-US')} requests over ${KEYS.toLocaleString('en-US')} string keys per round; a miss sets the key. ${ROUNDS} rounds after one warm-up, order alternating. Ops/s counts requests (get plus the set of a miss).`,
      columns: ['contender', 'min ops/s', 'median ops/s', 'max ops/s', 'ratio (median)'],
      rows: contenders.map((c, i) => {
        const xs = samples[i]!;
        return [
          c.name,
          Math.min(...xs),
          median(xs),
          Math.max(...xs),
          `${(median(xs) / reference).toFixed(2)}×`,
        ];
      }),
    });
    process.stdout.write(
      `Zipf ${s} ${share}: ${tables
        .at(-1)!
        .rows.map((r) => r.join(' '))
        .join(' / ')}\n`,
    );
  }
}
report('memory-throughput', tables);
