/**
 * Throughput of a read-through `getOrSet(key, loader)` in process: stratacache's `Cache` (L1 only)
 * against lru-cache `fetch`, bentocache (memory driver), cache-manager `wrap` and cacheable `getOrSet`,
 * with a plain `Map` behind one `await` as the floor. Two key streams: every call an L1 hit (1,000 keys
 * in a 10,000-entry cache) and Zipf s = 0.99 over 100k keys with capacity 10 % (a miss runs a trivial
 * async loader returning a ~250-byte object). Each stream is driven by a closed loop of 1 caller
 * (sequential awaits) and of 64 concurrent callers. Every returned value is checked.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { GET_OR_SET_PEERS, type GetOrSetPeer, type PeerSpec } from '../lib/peers.js';
import { type Product, product } from '../lib/product.js';
import { median, report, type Table } from '../lib/report.js';
import { createRandom, keyNames, shuffled, zipfTrace } from '../lib/traces.js';

const ROUNDS = 5;
/** Each round gives every contender SLICES slices of SLICE_MS, interleaved, so drift hits all alike. */
const SLICES = 5;
const SLICE_MS = 60;
/** Pause after the full GC that starts each round. */
const SETTLE_MS = 100;
const WARMUP_CALLS = 200_000;
const TTL = 300_000;
const SEED = 42;
const CHECK_EVERY = 64;

let loads = 0;

/** The loader every contender shares: a fresh ~250-byte object per call, as a database row would be. */
async function load(key: string): Promise<Product> {
  loads++;
  return product(key);
}

interface Stream {
  name: string;
  names: string[];
  trace: Uint32Array;
  capacity: number;
  bounded: boolean;
}

/** 1,000 keys drawn uniformly, in a cache of 10,000: after the warm-up every call is a hit. */
function allHitStream(): Stream {
  const keys = 1_000;
  const random = createRandom(SEED);
  const trace = new Uint32Array(1 << 20);
  for (let i = 0; i < trace.length; i++) trace[i] = Math.floor(random() * keys);
  return {
    name: 'all L1 hits (1,000 keys, capacity 10,000)',
    names: keyNames(trace),
    trace,
    capacity: 10_000,
    bounded: false,
  };
}

function zipfStream(): Stream {
  const trace = zipfTrace(100_000, 1_000_000, 0.99, SEED);
  return {
    name: 'Zipf 0.99 over 100k keys, capacity 10k (10 %)',
    names: keyNames(trace),
    trace,
    capacity: 10_000,
    bounded: true,
  };
}

interface Runner {
  spec: PeerSpec;
  peer: GetOrSetPeer<Product>;
  /** Next trace position of this contender; it walks the trace cyclically across rounds. */
  pos: number;
  /** ops/s per round, per concurrency. */
  rates: Map<number, number[]>;
  calls: number;
  loads: number;
}

/**
 * Runs `callers` closed-loop callers against one contender until `ms` have passed; returns calls made.
 * Each caller awaits one call at a time and checks that the value belongs to the key it asked for.
 */
async function drive(
  r: Runner,
  s: Stream,
  callers: number,
  ms: number,
  maxCalls = Number.POSITIVE_INFINITY,
): Promise<number> {
  const { trace, names } = s;
  const n = trace.length;
  const deadline = performance.now() + ms;
  let done = false;
  let calls = 0;
  const caller = async (): Promise<void> => {
    while (!done) {
      for (let j = 0; j < CHECK_EVERY; j++) {
        const key = names[trace[r.pos]!]!;
        r.pos = r.pos + 1 === n ? 0 : r.pos + 1;
        const v = await r.peer.getOrSet(key);
        if (v === undefined || v.key !== key) {
          throw new Error(`${r.spec.name} returned ${JSON.stringify(v)} for ${key}`);
        }
      }
      calls += CHECK_EVERY;
      if (calls >= maxCalls || performance.now() >= deadline) done = true;
    }
  };
  await Promise.all(Array.from({ length: callers }, caller));
  return calls;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function measure(s: Stream): Promise<Runner[]> {
  const runners: Runner[] = [];
  for (const spec of GET_OR_SET_PEERS) {
    const peer = spec.create<Product>({ capacity: s.capacity, ttl: TTL, load, bounded: s.bounded });
    const r: Runner = { spec, peer, pos: 0, rates: new Map(), calls: 0, loads: 0 };
    // Warm-up: fills the cache (and the JIT) before anything is timed.
    await drive(r, s, 1, 60_000, WARMUP_CALLS);
    runners.push(r);
  }
  // Contenders take their slices in a new random order each time, so none always runs first after the GC
  // (paying for its concurrent sweeping) or always after the same other contender.
  const order = createRandom(SEED + 1);
  const indices = runners.map((_, i) => i);
  for (const callers of [1, 64]) {
    for (let round = 0; round < ROUNDS; round++) {
      gc();
      await sleep(SETTLE_MS);
      const calls = runners.map(() => 0);
      const cpu = runners.map(() => 0);
      for (let slice = 0; slice < SLICES; slice++) {
        for (const i of shuffled(indices, order)) {
          const r = runners[i]!;
          const before = loads;
          const c0 = process.cpuUsage();
          const n = await drive(r, s, callers, SLICE_MS);
          const c = process.cpuUsage(c0);
          calls[i]! += n;
          cpu[i]! += (c.user + c.system) / 1e6;
          if (callers === 1) {
            r.calls += n;
            r.loads += loads - before;
          }
        }
      }
      for (const [i, r] of runners.entries()) {
        const list = r.rates.get(callers) ?? [];
        list.push(calls[i]! / cpu[i]!);
        r.rates.set(callers, list);
      }
    }
    process.stdout.write(`${s.name}, ${callers} caller(s): done\n`);
  }
  for (const r of runners) await r.peer.close();
  return runners;
}

function table(s: Stream, runners: Runner[], callers: number): Table {
  const ref = (name: string): number =>
    median(runners.find((r) => r.spec.name === name)!.rates.get(callers)!);
  const lru = ref('lru-cache 11 fetch');
  const bento = ref('bentocache 1.6 (memory)');
  const floor = ref('Map + await (floor)');
  const rows = runners.map((r) => {
    const rates = r.rates.get(callers)!;
    const med = median(rates);
    return [
      r.spec.name,
      med,
      Math.min(...rates),
      Math.max(...rates),
      `${(med / lru).toFixed(2)}×`,
      `${(med / bento).toFixed(1)}×`,
      `${(med / floor).toFixed(2)}×`,
      `${(100 * (1 - r.loads / r.calls)).toFixed(1)} %`,
    ];
  });
  return {
    title: `getOrSet, ${s.name}, ${callers === 1 ? '1 caller (sequential awaits)' : `${callers} concurrent callers`}`,
    note: `Calls per CPU-second of the process (user + system, GC threads included; wall time on this shared 2-core machine is mostly other people's load), over ${ROUNDS} rounds (median, min, max); a round (after a full GC and a ${SETTLE_MS} ms pause) interleaves ${SLICES} slices of ${SLICE_MS} ms per contender, in a new random order each time. ${WARMUP_CALLS.toLocaleString('en-US')} warm-up calls first; ratios of medians. Hit % is measured on the 1-caller rounds.`,
    columns: [
      'contender',
      'ops/CPU-s (median)',
      'min',
      'max',
      '× lru-cache fetch',
      '× bentocache',
      '× Map floor',
      'hit %',
    ],
    rows,
  };
}

const tables: Table[] = [];
for (const make of [allHitStream, zipfStream]) {
  const s = make();
  const runners = await measure(s);
  tables.push(table(s, runners, 1), table(s, runners, 64));
}
tables.push({
  title: 'Contenders',
  note: `Same process, same loader, same TTL (${TTL / 1000} s) and entry bound for all; each contender is built once per stream and keeps its state across rounds.`,
  columns: ['contender', 'set-up'],
  rows: GET_OR_SET_PEERS.map((p) => [p.name, p.setup]),
});
report('cache-getorset', tables);
