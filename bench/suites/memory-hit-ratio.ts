/**
 * Hit ratio of the memory tier (adaptive W-TinyLFU): against lru-cache on deterministic synthetic traces,
 * next to Belady's optimum and the static ideal LFU for the same trace and capacity; then on the real
 * traces in `../shared/traces` (skipped with a message when the folder is absent) against lru-cache,
 * ARC, Belady and Caffeine's published figures. Each request is a `get`, and a miss is followed by a
 * `set`, as a read-through cache would do.
 */
import { LRUCache } from 'lru-cache';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';
import { realTraceRows, realTraceTable, tracesDir } from '../lib/real-traces.js';
import { report, type Table } from '../lib/report.js';
import {
  beladyHitRatio,
  createRandom,
  idealLfuHitRatio,
  keyNames,
  movingPopularTrace,
  onlineLfuHitRatio,
  shiftingZipfTrace,
  zipfScanTrace,
  zipfTrace,
} from '../lib/traces.js';

const KEYS = 100_000;
const REQUESTS = 1_000_000;
const SEED = 42;

interface Trace {
  name: string;
  trace: Uint32Array;
  /** The key space the capacities are a share of. */
  keys: number;
}

const traces: Trace[] = [
  { name: 'Zipf 0.8', trace: zipfTrace(KEYS, REQUESTS, 0.8, SEED), keys: KEYS },
  { name: 'Zipf 0.99', trace: zipfTrace(KEYS, REQUESTS, 0.99, SEED), keys: KEYS },
  { name: 'Zipf 0.99 + scans', trace: zipfScanTrace(KEYS, REQUESTS, 0.99, SEED), keys: KEYS },
  { name: 'Zipf 0.9, popular set shifts', trace: shiftingZipfTrace(KEYS, REQUESTS, 0.9, SEED), keys: KEYS },
  { name: 'moving popular set', trace: movingPopularTrace(REQUESTS, SEED), keys: KEYS },
];

function simulate(
  trace: Uint32Array,
  names: string[],
  cache: { get(k: string): unknown; set(k: string, v: number): unknown },
): number {
  let hits = 0;
  for (let i = 0; i < trace.length; i++) {
    const key = names[trace[i]!]!;
    if (cache.get(key) === undefined) cache.set(key, 1);
    else hits++;
  }
  return hits / trace.length;
}

const pct = (x: number): string => (100 * x).toFixed(2);
const points = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}`;

const rows: Array<Array<string | number>> = [];
for (const { name, trace, keys } of traces) {
  const names = keyNames(trace);
  for (const share of [0.01, 0.1]) {
    const capacity = Math.round(keys * share);
    const lru = simulate(trace, names, new LRUCache<string, number>({ max: capacity }));
    const ours = simulate(
      trace,
      names,
      new MemoryStore<number>({ maxEntries: capacity, random: createRandom(SEED) }),
    );
    const lfu = idealLfuHitRatio(trace, capacity);
    const online = onlineLfuHitRatio(trace, capacity);
    const opt = beladyHitRatio(trace, capacity);
    rows.push([
      name,
      `${share * 100}%`,
      pct(lru),
      pct(ours),
      points(ours - lru),
      pct(lfu),
      points(ours - lfu),
      pct(online),
      points(ours - online),
      pct(opt),
    ]);
    process.stdout.write(`${rows.at(-1)!.join(' | ')}\n`);
  }
}

const table: Table = {
  title: 'Memory tier hit ratio on synthetic traces (%)',
  note: `${REQUESTS.toLocaleString('en-US')} requests per trace over ${KEYS.toLocaleString('en-US')} keys (scan and moving traces add never-repeated keys), seed ${SEED}; get, then set on a miss. Capacity is a share of ${KEYS.toLocaleString('en-US')}. "ideal LFU" keeps the most frequent keys of the whole trace (first request a miss), which no online policy can know in advance; "online LFU" counts every request exactly from the start and admits a newcomer only when it has been requested more often than the least-counted cached key (the best a frequency-based policy can do without seeing the future); "Belady" is the clairvoyant optimum with bypass. Hit ratios are deterministic, so one round is exact.`,
  columns: [
    'trace',
    'capacity',
    'lru-cache',
    'stratacache W-TinyLFU',
    'vs LRU (points)',
    'ideal LFU',
    'vs ideal LFU (points)',
    'online LFU',
    'vs online LFU (points)',
    'Belady',
  ],
  rows,
};
const dir = tracesDir();
if (dir === undefined) {
  process.stdout.write('real traces skipped: ../shared/traces (or STRATACACHE_TRACES) is absent\n');
  report('memory-hit-ratio', [table]);
} else {
  report('memory-hit-ratio', [table, realTraceTable(await realTraceRows(dir))]);
}
