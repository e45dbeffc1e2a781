/**
 * Throughput of the memory tier's synchronous get/set against lru-cache 11 on a Zipf stream: every
 * request is a `get`, and a miss is followed by a `set`, as a read-through cache would do; without and
 * with a TTL on every entry (the `Cache` always sets one). Time is the process's CPU time, so that
 * other processes on the shared machine do not count; rounds alternate the order of the contenders.
 * The table gives min/median/max over the rounds, the ratio of the medians and the median of the
 * per-round ratios.
 */
import { LRUCache } from 'lru-cache';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';
import { median, report, type Table } from '../lib/report.js';
import { createRandom, keyNames, zipfTrace } from '../lib/traces.js';

const KEYS = 100_000;
const REQUESTS = 1_000_000;
const ROUNDS = 9;
const TTL = 300_000;

interface SyncCache {
  get(key: string): unknown;
  set(key: string, value: string, ttl?: never): unknown;
}

interface Contender {
  name: string;
  create(capacity: number, ttl: number | undefined): SyncCache;
  /** The third argument of `set` (lru-cache takes its TTL in the constructor instead). */
  setTtl(ttl: number | undefined): number | undefined;
}

const contenders: Contender[] = [
  {
    name: 'lru-cache 11',
    create: (max, ttl) => new LRUCache<string, string>(ttl === undefined ? { max } : { max, ttl }),
    setTtl: () => undefined,
  },
  {
    name: 'stratacache MemoryStore (W-TinyLFU)',
    create: (maxEntries) => new MemoryStore<string>({ maxEntries, random: createRandom(1) }),
    setTtl: (ttl) => ttl,
  },
];

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Runs the stream once over a fresh cache; returns requests per CPU-second. */
function run(
  contender: Contender,
  capacity: number,
  ttl: number | undefined,
  names: string[],
  trace: Uint32Array,
): number {
  const cache = contender.create(capacity, ttl);
  const setTtl = contender.setTtl(ttl) as never;
  const value = 'v';
  let hits = 0;
  const start = cpuSeconds();
  for (let i = 0; i < trace.length; i++) {
    const key = names[trace[i]!]!;
    if (cache.get(key) === undefined) cache.set(key, value, setTtl);
    else hits++;
  }
  const seconds = cpuSeconds() - start;
  if (hits === 0) throw new Error('no hits: the stream is broken');
  return trace.length / seconds;
}

const tables: Table[] = [];
for (const s of [0.99, 0.8]) {
  const trace = zipfTrace(KEYS, REQUESTS, s, 7);
  const names = keyNames(trace);
  for (const share of [0.01, 0.1]) {
    for (const ttl of [undefined, TTL]) {
      const capacity = KEYS * share;
      for (const c of contenders) run(c, capacity, ttl, names, trace);
      const samples = contenders.map(() => [] as number[]);
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? [0, 1] : [1, 0];
        for (const i of order) samples[i]!.push(run(contenders[i]!, capacity, ttl, names, trace));
      }
      const reference = samples[0]!;
      const ttlNote = ttl === undefined ? 'no TTL' : `TTL ${ttl / 1000} s on every entry`;
      tables.push({
        title: `Memory tier get/set throughput, Zipf ${s}, capacity ${share * 100}% (${capacity.toLocaleString('en-US')} entries), ${ttlNote}`,
        note: `${REQUESTS.toLocaleString('en-US')} requests over ${KEYS.toLocaleString('en-US')} string keys per round; a miss sets the key. ${ROUNDS} rounds after one warm-up, order alternating. Ops/s counts requests (get plus the set of a miss) per CPU-second of the process.`,
        columns: [
          'contender',
          'min ops/s',
          'median ops/s',
          'max ops/s',
          'ratio (medians)',
          'ratio (median of rounds)',
        ],
        rows: contenders.map((c, i) => {
          const xs = samples[i]!;
          return [
            c.name,
            Math.min(...xs),
            median(xs),
            Math.max(...xs),
            `${(median(xs) / median(reference)).toFixed(2)}×`,
            `${median(xs.map((x, r) => x / reference[r]!)).toFixed(2)}×`,
          ];
        }),
      });
      process.stdout.write(
        `Zipf ${s} ${share} ${ttlNote}: ${tables
          .at(-1)!
          .rows.map((r) => r.join(' '))
          .join(' / ')}\n`,
      );
    }
  }
}
report('memory-throughput', tables);
