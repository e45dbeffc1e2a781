/**
 * Throughput of the synchronous memory tier against lru-cache: each request is a `get`, and a miss is
 * followed by a `set`, as a read-through cache does. Streams: every request a hit (1,000 keys), and
 * Zipf s = 0.99 over 100k keys with capacity 10 % and 1 %. Both with and without a TTL, because a TTL
 * makes both libraries read the clock.
 */
import { LRUCache } from 'lru-cache';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';
import { median, report, type Table } from '../lib/report.js';
import { createRandom, keyNames, zipfTrace } from '../lib/traces.js';

const ROUNDS = 5;
const SLICES = 5;
const SLICE_REQUESTS = 200_000;
const WARMUP_REQUESTS = 500_000;
const TTL = 300_000;
const SEED = 42;

const VALUE = Object.freeze({ payload: 'x'.repeat(200) });
type Value = typeof VALUE;

interface SyncCache {
  get(key: string): Value | undefined;
  set(key: string, value: Value): void;
}

interface Contender {
  name: string;
  /** The contender whose ratio this row reports (same TTL setting). */
  reference: string;
  create(capacity: number): SyncCache;
}

const LRU = 'lru-cache 11';
const LRU_TTL = 'lru-cache 11, ttl';

const contenders: Contender[] = [
  {
    name: 'MemoryStore (W-TinyLFU)',
    reference: LRU,
    create: (capacity) => new MemoryStore<Value>({ maxEntries: capacity, random: createRandom(SEED) }),
  },
  {
    name: 'MemoryStore (W-TinyLFU), ttl',
    reference: LRU_TTL,
    create: (capacity) => {
      const store = new MemoryStore<Value>({ maxEntries: capacity, random: createRandom(SEED) });
      return { get: (k) => store.get(k), set: (k, v) => store.set(k, v, TTL) };
    },
  },
  {
    name: "MemoryStore (policy: 'lru')",
    reference: LRU,
    create: (capacity) => new MemoryStore<Value>({ maxEntries: capacity, policy: 'lru' }),
  },
  {
    name: LRU,
    reference: LRU,
    create: (capacity) => new LRUCache<string, Value>({ max: capacity }),
  },
  {
    name: LRU_TTL,
    reference: LRU_TTL,
    create: (capacity) => new LRUCache<string, Value>({ max: capacity, ttl: TTL }),
  },
];

interface Stream {
  name: string;
  names: string[];
  trace: Uint32Array;
  capacity: number;
}

function uniform(keys: number, length: number): Uint32Array {
  const random = createRandom(SEED);
  const trace = new Uint32Array(length);
  for (let i = 0; i < length; i++) trace[i] = Math.floor(random() * keys);
  return trace;
}

const zipf = zipfTrace(100_000, 1_000_000, 0.99, SEED);
const zipfNames = keyNames(zipf);
const hits = uniform(1_000, 1 << 20);
const streams: Stream[] = [
  { name: 'all hits (1,000 keys, capacity 10,000)', names: keyNames(hits), trace: hits, capacity: 10_000 },
  { name: 'Zipf 0.99 over 100k keys, capacity 10 %', names: zipfNames, trace: zipf, capacity: 10_000 },
  { name: 'Zipf 0.99 over 100k keys, capacity 1 %', names: zipfNames, trace: zipf, capacity: 1_000 },
];

interface Runner {
  contender: Contender;
  cache: SyncCache;
  pos: number;
  rates: number[];
  requests: number;
  hits: number;
}

/** Replays `count` requests from the runner's position; returns the hits. Checks every value. */
function replay(r: Runner, s: Stream, count: number): number {
  const { trace, names } = s;
  const n = trace.length;
  const cache = r.cache;
  let pos = r.pos;
  let found = 0;
  for (let i = 0; i < count; i++) {
    const key = names[trace[pos]!]!;
    pos = pos + 1 === n ? 0 : pos + 1;
    const v = cache.get(key);
    if (v === undefined) cache.set(key, VALUE);
    else if (v === VALUE) found++;
    else throw new Error(`${r.contender.name} returned a foreign value for ${key}`);
  }
  r.pos = pos;
  return found;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const tables: Table[] = [];
for (const s of streams) {
  const runners: Runner[] = contenders.map((contender) => {
    const r: Runner = {
      contender,
      cache: contender.create(s.capacity),
      pos: 0,
      rates: [],
      requests: 0,
      hits: 0,
    };
    replay(r, s, WARMUP_REQUESTS);
    return r;
  });
  for (let round = 0; round < ROUNDS; round++) {
    gc();
    const cpu = runners.map(() => 0);
    for (let slice = 0; slice < SLICES; slice++) {
      for (const [i, r] of runners.entries()) {
        const c0 = process.cpuUsage();
        r.hits += replay(r, s, SLICE_REQUESTS);
        const c = process.cpuUsage(c0);
        cpu[i]! += (c.user + c.system) / 1e6;
        r.requests += SLICE_REQUESTS;
      }
    }
    for (const [i, r] of runners.entries()) r.rates.push((SLICES * SLICE_REQUESTS) / cpu[i]!);
  }
  process.stdout.write(`${s.name}: done\n`);
  const medians = new Map(runners.map((r) => [r.contender.name, median(r.rates)]));
  tables.push({
    title: `MemoryStore get (+ set on a miss), ${s.name}`,
    note: `Requests per CPU-second of the process, over ${ROUNDS} rounds (median, min, max); a round interleaves ${SLICES} slices of ${SLICE_REQUESTS.toLocaleString('en-US')} requests per contender, after ${WARMUP_REQUESTS.toLocaleString('en-US')} warm-up requests. The ratio compares with lru-cache under the same TTL setting (ttl = ${TTL / 1000} s or none).`,
    columns: ['contender', 'req/CPU-s (median)', 'min', 'max', '× lru-cache (same TTL setting)', 'hit %'],
    rows: runners.map((r) => {
      const med = median(r.rates);
      return [
        r.contender.name,
        med,
        Math.min(...r.rates),
        Math.max(...r.rates),
        `${(med / medians.get(r.contender.reference)!).toFixed(2)}×`,
        `${((100 * r.hits) / r.requests).toFixed(2)} %`,
      ];
    }),
  });
}
report('memory-vs-lru', tables);
