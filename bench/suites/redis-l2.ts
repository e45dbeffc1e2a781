/**
 * Throughput of a read-through `getOrSet(key)` over a private redis-server, 64 concurrent callers:
 * (a) Redis only (stratacache `l1: false`), 1,000 pre-populated keys of ~250-byte JSON, every call a
 *     Redis hit: against raw node-redis and ioredis (GET + JSON.parse; ioredis with and without
 *     auto-pipelining), bentocache's Redis driver (no memory layer) and cache-manager 7 on @keyv/redis;
 * (b) memory + Redis on a Zipf 0.99 stream over 10k pre-populated keys with an in-process tier of 1,000
 *     entries: against bentocache memory + Redis and cache-manager with a memory and a Redis store.
 * This is I/O bound, so ops/s is wall-clock; client and server CPU per call and the Redis commands per
 * call (counted by the server itself) are reported next to it. Every returned value is checked.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { startRedis } from '../../test/helpers/servers.js';
import type { GetOrSetPeer } from '../lib/peers.js';
import {
  bentocacheRedis,
  cacheManagerRedis,
  ioredisRaw,
  nodeRedisRaw,
  type Product,
  product,
  type RedisPeerSpec,
  ServerProbe,
  stratacache,
} from '../lib/redis-peers.js';
import { median, report, type Table } from '../lib/report.js';
import { createRandom, keyNames, shuffled, zipfTrace } from '../lib/traces.js';

const ROUNDS = 7;
const ROUND_MS = 800;
const WARMUP_MS = 500;
/** Pause after the full GC before each measured round. */
const SETTLE_MS = 100;
const CALLERS = 64;
const TTL = 600_000;
const SEED = 42;
/** Each caller yields to the event loop every this many calls (a power of two). */
const YIELD_EVERY = 64;

let loads = 0;

/** The shared loader: a fresh ~250-byte row (runs only while pre-populating). */
async function load(key: string): Promise<Product> {
  loads++;
  return product(key);
}

interface Section {
  title: string;
  names: string[];
  trace: Uint32Array;
  l1: number | false;
  contenders: RedisPeerSpec[];
}

interface Runner {
  spec: RedisPeerSpec;
  peer: GetOrSetPeer<Product>;
  pos: number;
  rates: number[];
  calls: number;
  clientCpu: number;
  serverCpu: number;
  commands: number;
  /** Keys the server looked up for reading (GET or MGET), hits and misses. */
  keyReads: number;
  loads: number;
  errors: number;
  /** Count per error message, printed after the section (not part of the table). */
  errorKinds: Map<string, number>;
}

/** `CALLERS` closed loops over the trace for `ms`; each checks that the value is the key's own. */
async function drive(r: Runner, s: Section, ms: number): Promise<number> {
  const { trace, names } = s;
  const n = trace.length;
  const deadline = performance.now() + ms;
  let calls = 0;
  const caller = async (): Promise<void> => {
    let own = 0;
    while (performance.now() < deadline) {
      // Calls that never wait for I/O (in-process hits, or a fallback while a breaker is open) would
      // otherwise keep the event loop in microtasks: let I/O and timers run, as a server's requests do.
      if ((++own & (YIELD_EVERY - 1)) === 0) await yieldToLoop();
      const key = names[trace[r.pos]!]!;
      r.pos = r.pos + 1 === n ? 0 : r.pos + 1;
      const v = await r.peer.getOrSet(key);
      if (v === undefined || v.key !== key) {
        throw new Error(`${r.spec.name} returned ${JSON.stringify(v)} for ${key}`);
      }
      calls++;
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, caller));
  return calls;
}

/** Reads every key once through the contender (64 at a time), so Redis holds all of them. */
async function populate(peer: GetOrSetPeer<Product>, names: readonly string[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const key = names[next++]!;
      const v = await peer.getOrSet(key);
      if (v?.key !== key) throw new Error(`populate: wrong value for ${key}`);
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, worker));
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function measure(s: Section, url: string, probe: ServerProbe, prefix: string): Promise<Runner[]> {
  const runners: Runner[] = [];
  for (const [i, spec] of s.contenders.entries()) {
    const r: Runner = {
      spec,
      peer: undefined as unknown as GetOrSetPeer<Product>,
      pos: 0,
      rates: [],
      calls: 0,
      clientCpu: 0,
      serverCpu: 0,
      commands: 0,
      keyReads: 0,
      loads: 0,
      errors: 0,
      errorKinds: new Map(),
    };
    r.peer = await spec.create<Product>({
      url,
      l1: s.l1,
      ttl: TTL,
      load,
      prefix: `${prefix}${i}:`,
      onError: (error) => {
        r.errors++;
        const kind = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        r.errorKinds.set(kind, (r.errorKinds.get(kind) ?? 0) + 1);
      },
    });
    const keys = new Set<string>();
    for (const id of s.trace) keys.add(s.names[id]!);
    await populate(r.peer, [...keys]);
    await drive(r, s, WARMUP_MS);
    runners.push(r);
  }
  // A new order each round: a contender's leftovers (garbage to sweep, timers) must not always land on the
  // same successor (a rotation keeps every predecessor: the first contender always ran after the last).
  const order = createRandom(SEED + 1);
  for (let round = 0; round < ROUNDS; round++) {
    for (const r of shuffled(runners, order)) {
      gc();
      // Let the collector's concurrent sweeping finish before the clock starts.
      await sleep(SETTLE_MS);
      const before = await probe.sample();
      const loadsBefore = loads;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const calls = await drive(r, s, ROUND_MS);
      const seconds = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      const after = await probe.sample();
      r.rates.push(calls / seconds);
      r.calls += calls;
      r.clientCpu += (c.user + c.system) / 1e6;
      r.serverCpu += after.cpu - before.cpu;
      // The probe's own INFO is one command.
      r.commands += after.commands - before.commands - 1;
      r.keyReads += after.keyReads - before.keyReads;
      r.loads += loads - loadsBefore;
    }
  }
  for (const r of runners) await r.peer.close();
  process.stdout.write(`${s.title}: done\n`);
  for (const r of runners) {
    for (const [kind, n] of r.errorKinds) process.stdout.write(`  ${r.spec.name}: ${n} × ${kind}\n`);
  }
  return runners;
}

const perCallUs = (seconds: number, calls: number): string => `${((seconds / calls) * 1e6).toFixed(1)}`;

function l2OnlyTable(s: Section, runners: Runner[]): Table {
  const fastest = (rs: Runner[]): Runner => rs.reduce((a, b) => (median(b.rates) > median(a.rates) ? b : a));
  const bestDefault = fastest(runners.filter((r) => r.spec.raw === 'defaults'));
  const bestAny = fastest(runners.filter((r) => r.spec.raw !== undefined));
  const bento = median(runners.find((r) => r.spec.name.startsWith('bentocache'))!.rates);
  return {
    title: s.title,
    note: `Wall-clock calls per second over ${ROUNDS} rounds of ${ROUND_MS} ms per contender (median, min, max; contenders run in a new random order each round, each after a full GC and a ${SETTLE_MS} ms pause), ${CALLERS} closed-loop callers (each yields to the event loop every ${YIELD_EVERY} calls), after pre-population and ${WARMUP_MS} ms of warm-up. Best raw client at its defaults: ${bestDefault.spec.name}; best raw client in any configuration: ${bestAny.spec.name}. CPU per call: this process (client) and the redis-server process (from /proc); commands per call counted by the server (INFO), below 1 where concurrent reads of one key were coalesced. Loads > 0 means some calls were served by the loader because their Redis read failed (errors: timeouts, open circuit), so not every counted call read Redis. Client and server share the machine's 2 cores with other work, so ops/s is noisy; CPU per call is the steadier figure.`,
    columns: [
      'contender',
      'ops/s (median)',
      'min',
      'max',
      '× best raw (defaults)',
      '× best raw (any config)',
      '× bentocache',
      'client CPU µs/call',
      'server CPU µs/call',
      'Redis cmds/call',
      'loads',
      'errors',
    ],
    rows: runners.map((r) => {
      const med = median(r.rates);
      return [
        ...rateCells(r, med),
        `${(med / median(bestDefault.rates)).toFixed(2)}×`,
        `${(med / median(bestAny.rates)).toFixed(2)}×`,
        `${(med / bento).toFixed(2)}×`,
        perCallUs(r.clientCpu, r.calls),
        perCallUs(r.serverCpu, r.calls),
        (r.commands / r.calls).toFixed(3),
        String(r.loads),
        String(r.errors),
      ];
    }),
  };
}

/** The contender's name and its median, min and max rate: the first cells of every table row. */
function rateCells(r: Runner, med: number): Array<string | number> {
  return [r.spec.name, med, Math.min(...r.rates), Math.max(...r.rates)];
}

function twoTierTable(s: Section, runners: Runner[]): Table {
  const bento = median(runners.find((r) => r.spec.name.startsWith('bentocache'))!.rates);
  return {
    title: s.title,
    note: `Wall-clock calls per second over ${ROUNDS} rounds of ${ROUND_MS} ms per contender (median, min, max; contenders run in a new random order each round, each after a full GC and a ${SETTLE_MS} ms pause), ${CALLERS} closed-loop callers (each yields to the event loop every ${YIELD_EVERY} calls). All keys are pre-populated in Redis first (one pass over every key), then ${WARMUP_MS} ms of warm-up on the stream. L2 reads per call = keys the server looked up (keyspace hits + misses, whether by GET or MGET) / calls, i.e. the in-process tier's miss ratio.`,
    columns: [
      'contender',
      'ops/s (median)',
      'min',
      'max',
      '× bentocache',
      'L2 reads/call',
      'client CPU µs/call',
      'server CPU µs/call',
      'loads',
      'errors',
    ],
    rows: runners.map((r) => {
      const med = median(r.rates);
      return [
        ...rateCells(r, med),
        `${(med / bento).toFixed(2)}×`,
        (r.keyReads / r.calls).toFixed(3),
        perCallUs(r.clientCpu, r.calls),
        perCallUs(r.serverCpu, r.calls),
        String(r.loads),
        String(r.errors),
      ];
    }),
  };
}

function uniformSection(): Section {
  const keys = 1_000;
  const random = createRandom(SEED);
  const trace = new Uint32Array(1 << 18);
  for (let i = 0; i < trace.length; i++) trace[i] = Math.floor(random() * keys);
  return {
    title: `L2-only getOrSet, 1,000 keys of ~250 B JSON, every call a Redis hit, ${CALLERS} concurrent callers`,
    names: keyNames(trace),
    trace,
    l1: false,
    contenders: [
      { ...stratacache(), name: 'stratacache Cache (l1: false)' },
      { ...stratacache(true), name: 'stratacache Cache (l1: false, client with commandOptions.timeout 0)' },
      nodeRedisRaw(),
      nodeRedisRaw(true),
      ioredisRaw(false),
      ioredisRaw(true),
      bentocacheRedis(),
      cacheManagerRedis(),
    ],
  };
}

function zipfSection(): Section {
  const trace = zipfTrace(10_000, 1_000_000, 0.99, SEED);
  return {
    title: `L1 + L2 getOrSet, Zipf 0.99 over 10k keys, in-process tier of 1,000 entries, ${CALLERS} concurrent callers`,
    names: keyNames(trace),
    trace,
    l1: 1_000,
    contenders: [
      { ...stratacache(), name: 'stratacache Cache (L1 + Redis)' },
      { ...bentocacheRedis(), name: 'bentocache 1.6 (memory + Redis)' },
      { ...cacheManagerRedis(), name: 'cache-manager 7 (memory + @keyv/redis)' },
    ],
  };
}

const server = await startRedis();
const probe = await ServerProbe.open(server.url, server.pid);
const tables: Table[] = [];
try {
  const a = uniformSection();
  tables.push(l2OnlyTable(a, await measure(a, server.url, probe, 'a')));
  const b = zipfSection();
  tables.push(twoTierTable(b, await measure(b, server.url, probe, 'b')));
  tables.push({
    title: 'Contenders',
    note: `One private redis-server ${server.url.replace(/:\d+$/, '')} (no persistence) for all, each contender under its own key prefix; TTL ${TTL / 1000} s everywhere; the in-process tier (b) is bounded to 1,000 entries for every contender.`,
    columns: ['contender', 'set-up'],
    rows: [...a.contenders, ...b.contenders].map((c) => [c.name, c.setup]),
  });
} finally {
  await probe.close();
  await server.stop();
}
report('redis-l2', tables);
