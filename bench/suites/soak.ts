/**
 * Soak (not run in CI): `SOAK_MS` (default 10 min) of mixed traffic over two `Cache` instances A and B
 * sharing one private redis-server with the bus on — B through the fault proxy — with a fault every
 * `SOAK_FAULT_EVERY_MS` (default 30 s) cycling through bench/lib/soak-faults.ts (`SOAK_FAULTS`, a comma
 * list, keeps some of them). Per instance: readers
 * calling `getOrSet` with tags over a Zipf key set (some keys in namespaces, some versioned), an
 * invalidator (tags, namespace clears), and a write-behind writer whose sink is a PGlite table. Every
 * value read is checked against the model of what the loader returns (bench/lib/soak-model.ts); at the
 * end every write-behind write acknowledged must be in the table. Heap and handles are sampled every
 * 10 s, and the process must exit on its own once everything is closed. The machines here are shared (2
 * cores, other work running): every latency it reports is an upper bound, with the load average beside it.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cache, type WriteBehind, writeBehind } from 'stratacache';
import { RedisStore } from 'stratacache/redis';
import { KvSource, openPglite } from '../../test/helpers/db.js';
import { startFaultProxy } from '../../test/helpers/fault-proxy.js';
import { startRedis } from '../../test/helpers/servers.js';
import { report } from '../lib/report.js';
import {
  cacheFaultBetween,
  FAULT_KINDS,
  FAULT_MS,
  type FaultKind,
  type FaultWindow,
  inject,
} from '../lib/soak-faults.js';
import { IdealLoads, type KeySpec, type SoakValue, SourceModel } from '../lib/soak-model.js';
import { createRun, minuteOf, recordCall } from '../lib/soak-recorder.js';
import { type Op, type Outcome, type Sample, soakTables } from '../lib/soak-report.js';
import { createRandom, ZipfSampler } from '../lib/traces.js';

function envMs(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 1_000) throw new Error(`Expected ${name} to be ms ≥ 1000, got ${raw}`);
  return v;
}

const DURATION_MS = envMs('SOAK_MS', 600_000);
const FAULT_EVERY_MS = envMs('SOAK_FAULT_EVERY_MS', 30_000);
/** `SOAK_FAULTS=blackhole,slow` cycles through those only (development runs). */
const CYCLE = (process.env.SOAK_FAULTS ?? FAULT_KINDS.join(',')).split(',').map((k) => {
  if (!(FAULT_KINDS as readonly string[]).includes(k))
    throw new Error(`Expected SOAK_FAULTS to list faults from ${FAULT_KINDS.join(', ')}, got ${k}`);
  return k as FaultKind;
});
const KEYS = 2_000;
const ZIPF_S = 0.99;
const READERS = 6;
const PAUSE_MS = 1;
const LOADER_MS = 2;
const TTL = 30_000;
const L1 = { maxEntries: 500, ttl: 10_000 };
const TAG_GROUPS = [40, 13];
const NAMESPACES = 3;
const INVALIDATE_EVERY_MS = 250;
const CLEAR_EVERY_MS = 3_000;
const VERSION_EVERY_MS = 45_000;
const WB_KEYS = 100;
const WB_EVERY_MS = 10;
const GUARD_MS = 5_000;
const SAMPLE_EVERY_MS = 10_000;
/** Another instance must see an invalidation within syncInterval (1 s, default) + 1 s of slack. */
const OTHER_BOUND_MS = 2_000;
/** After a fault is healed: bus ping (5 s) + its timeout (1 s) + 1 s before the fault stops excusing. */
const RECOVERY_MS = 7_000;
/** The documented worst case after a fault: the entry's TTL (+ 2 s of slack). */
const WORST_BOUND_MS = TTL + 2_000;
const PAYLOAD = 'x'.repeat(200);

const keys: KeySpec[] = Array.from({ length: KEYS }, (_, i) => {
  const tags = TAG_GROUPS.map((n, g) => `${'gh'[g]}${i % n}`);
  const ns = i % 5 === 0 ? i % NAMESPACES : undefined;
  return {
    name: `k${i}`,
    tags,
    ns,
    versioned: i % 4 === 1,
    marks: ns === undefined ? tags : [...tags, `ns:${ns}`],
  };
});
const allTags = TAG_GROUPS.flatMap((n, g) => Array.from({ length: n }, (_, i) => `${'gh'[g]}${i}`));

const windows: FaultWindow[] = [];
const model = new SourceModel(OTHER_BOUND_MS, (from, to) =>
  cacheFaultBetween(windows, RECOVERY_MS, from, to),
);
const ideal = new IdealLoads(TTL);
const run = createRun(DURATION_MS, FAULT_EVERY_MS, windows, {
  otherMs: OTHER_BOUND_MS,
  recoveryMs: RECOVERY_MS,
  worstMs: WORST_BOUND_MS,
});
const record = (op: Op, inst: number, started: number, outcome: Outcome, detail = '', cause = ''): void =>
  recordCall(run, { op, inst, started, outcome, detail, cause });

// Counted and reported, and the suite exits non-zero: the library must never leave one.
process.on('unhandledRejection', (err) => {
  run.unhandled++;
  process.exitCode = 1;
  if (run.unhandled === 1) console.error('unhandled rejection', err);
});
process.on('uncaughtException', (err) => {
  run.unhandled++;
  process.exitCode = 1;
  if (run.unhandled === 1) console.error('uncaught exception', err);
});

const TIMEOUT = Symbol('timeout');
function guarded<T>(call: () => Promise<T>): Promise<T | typeof TIMEOUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMEOUT>(
    (resolve) => (timer = setTimeout(() => resolve(TIMEOUT), GUARD_MS)),
  );
  return Promise.race([call(), timeout]).finally(() => clearTimeout(timer));
}

let stopping = false;
let schemaVersion = 1;

interface Instance {
  id: number;
  cache: Cache;
  ns: Cache[];
  wb: WriteBehind<{ key: string; seq: number }>;
  acked: Map<string, number>;
  ackedWrites: number;
  errors: number;
  resets: number;
}

async function reader(inst: Instance, seed: number, zipf: ZipfSampler): Promise<void> {
  const random = createRandom(seed);
  const plain = new Map(keys.map((k) => [k.name, { tags: k.tags }]));
  while (!stopping) {
    const spec = keys[zipf.sample(random())]!;
    const version = schemaVersion;
    const target = spec.ns === undefined ? inst.cache : inst.ns[spec.ns]!;
    const started = performance.now();
    if (ideal.read(spec, model, version, started)) minuteOf(run, started).idealLoads++;
    const loader = async (): Promise<SoakValue> => {
      minuteOf(run, performance.now()).loads++;
      const value = model.produce(spec, version, inst.id, performance.now(), PAYLOAD);
      await sleep(LOADER_MS);
      return value;
    };
    const options = spec.versioned ? { tags: spec.tags, version } : plain.get(spec.name)!;
    try {
      const v = await guarded(() => target.getOrSet<SoakValue>(spec.name, loader, options));
      if (v === TIMEOUT) record('getOrSet', inst.id, started, 'timeout', spec.name);
      else {
        const verdict = model.check(spec, v, version, inst.id, started);
        if (verdict.ok) record('getOrSet', inst.id, started, 'ok');
        else if (verdict.reason !== 'stale') record('getOrSet', inst.id, started, verdict.reason, spec.name);
        else {
          run.worstLateMs = Math.max(run.worstLateMs, verdict.lateMs);
          const tolerated = !verdict.strict && verdict.lateMs <= WORST_BOUND_MS;
          record(
            'getOrSet',
            inst.id,
            started,
            tolerated ? 'stale-tolerated' : 'stale',
            `${spec.name}: ${verdict.mark} rev ${verdict.have} read, rev ${verdict.due} due ${Math.round(verdict.lateMs)} ms after ${verdict.sameInstance ? 'its own' : "the other's"} invalidation (which took ${Math.round(verdict.tookMs)} ms; value loaded by ${'AB'[v.by]} ${Math.round(verdict.loadedMs)} ms after it started)`,
            `${verdict.sameInstance ? 'own' : 'other'} ${verdict.mark.startsWith('ns:') ? 'namespace clear' : 'tag invalidation'}`,
          );
        }
      }
    } catch (err) {
      record('getOrSet', inst.id, started, 'rejected', `${spec.name}: ${String(err)}`);
    }
    await sleep(PAUSE_MS);
  }
}

/** Loops `act` every `everyMs`; `act` bumps a model mark and tells the cache, which records it. */
async function invalidator(
  inst: Instance,
  op: Op,
  everyMs: number,
  seed: number,
  pick: (r: number) => [string, () => Promise<void>],
): Promise<void> {
  const random = createRandom(seed);
  while (!stopping) {
    await sleep(everyMs);
    if (stopping) break;
    const [mark, call] = pick(random());
    const rev = model.bump(mark);
    const started = performance.now();
    try {
      const r = await guarded(call);
      if (r === TIMEOUT) record(op, inst.id, started, 'timeout', mark);
      else {
        model.record(mark, rev, inst.id, started, performance.now());
        record(op, inst.id, started, 'ok');
      }
    } catch (err) {
      record(op, inst.id, started, 'rejected', `${mark}: ${String(err)}`);
    }
  }
}

async function writer(inst: Instance, seed: number): Promise<void> {
  const random = createRandom(seed);
  let seq = 0;
  while (!stopping) {
    const key = `w${inst.id}:${Math.floor(random() * WB_KEYS)}`;
    seq++;
    const started = performance.now();
    try {
      const r = await guarded(() => inst.wb.write(key, { key, seq }));
      if (r === TIMEOUT) record('write-behind write', inst.id, started, 'timeout', key);
      else {
        inst.acked.set(key, seq);
        inst.ackedWrites++;
        record('write-behind write', inst.id, started, 'ok');
      }
    } catch (err) {
      record('write-behind write', inst.id, started, 'rejected', `${key}: ${String(err)}`);
    }
    await sleep(WB_EVERY_MS);
  }
}

function sample(): Sample {
  (globalThis as { gc?: () => void }).gc?.();
  const res = process.getActiveResourcesInfo();
  return {
    atS: (performance.now() - run.t0) / 1000,
    heapMb: process.memoryUsage().heapUsed / 2 ** 20,
    handles: res.length,
    nonTimers: res.filter((r) => r !== 'Timeout' && r !== 'Immediate').length,
    load: loadavg()[0]!,
  };
}

const server = await startRedis();
const proxy = await startFaultProxy({ port: server.port });
const db = await openPglite();
const source = await KvSource.create<{ key: string; seq: number }>(db);
const makeInstance = (id: number, url: string): Instance => {
  const cache = new Cache({ l2: new RedisStore({ url }), prefix: 'soak:', ttl: TTL, l1: L1, bus: true });
  const inst: Instance = {
    id,
    cache,
    ns: Array.from({ length: NAMESPACES }, (_, j) => cache.namespace(`ns${j}`)),
    wb: writeBehind(cache, {
      saveMany: (entries, info) => source.saveMany(entries, info),
      batchSize: 100,
      flushIntervalMs: 50,
      retry: { attempts: Number.POSITIVE_INFINITY, maxDelayMs: 1_000 },
      closeTimeoutMs: 30_000,
    }),
    acked: new Map(),
    ackedWrites: 0,
    errors: 0,
    resets: 0,
  };
  cache.on('error', () => inst.errors++);
  cache.on('bus:reset', () => inst.resets++);
  return inst;
};
const instances = [makeInstance(0, server.url), makeInstance(1, `redis://127.0.0.1:${proxy.port}`)];
const zipf = new ZipfSampler(KEYS, ZIPF_S);

run.t0 = performance.now();
run.samples.push(sample());
const sampler = setInterval(() => run.samples.push(sample()), SAMPLE_EVERY_MS);
const loops: Array<Promise<void>> = [];
for (const inst of instances) {
  for (let r = 0; r < READERS; r++) loops.push(reader(inst, 100 * inst.id + r, zipf));
  loops.push(
    invalidator(inst, 'invalidateTags', INVALIDATE_EVERY_MS, 50 + inst.id, (u) => {
      const tag = allTags[Math.floor(u * allTags.length)]!;
      return [tag, () => inst.cache.invalidateTags([tag])];
    }),
    invalidator(inst, 'namespace clear', CLEAR_EVERY_MS, 60 + inst.id, (u) => {
      const j = Math.floor(u * NAMESPACES);
      return [`ns:${j}`, () => inst.ns[j]!.clear()];
    }),
    writer(inst, 70 + inst.id),
  );
}
const versions = (async () => {
  for (let k = 1; k * VERSION_EVERY_MS < DURATION_MS; k++) {
    await sleep(run.t0 + k * VERSION_EVERY_MS - performance.now());
    if (stopping) return;
    schemaVersion++;
  }
})();
const targets = { server, proxy, sinkDown: (on: boolean) => (source.down = on) };
const faults = (async () => {
  for (let k = 1; ; k++) {
    const kind = CYCLE[(k - 1) % CYCLE.length]!;
    const at = k * FAULT_EVERY_MS;
    if (at + FAULT_MS[kind] + 5_000 > DURATION_MS) return;
    await sleep(run.t0 + at - performance.now());
    process.stdout.write(`soak: +${Math.round(at / 1000)} s ${kind}\n`);
    await inject(kind, targets, windows);
  }
})();
await sleep(DURATION_MS);
stopping = true;
await Promise.all([...loops, faults, versions]);
clearInterval(sampler);
run.samples.push(sample());

// Everything healed (the fault driver heals each fault); drain the queues into the now healthy sink.
for (const inst of instances) {
  const flushed = await guarded(() => inst.wb.flush());
  const stats = inst.wb.stats();
  await inst.wb.close();
  const cs = inst.cache.stats();
  run.instances.push({
    name: inst.id === 0 ? 'A (direct)' : 'B (through the fault proxy)',
    ackedWrites: inst.ackedWrites,
    acked: inst.acked,
    wb: stats,
    flushTimedOut: flushed === TIMEOUT,
    cacheErrors: inst.errors,
    busResets: inst.resets,
    l2Errors: cs.tiers.l2.errors,
    loads: cs.loads.calls,
  });
}
await Promise.all(instances.map((i) => guarded(() => i.cache.close())));
await proxy.stop();
await server.stop();
const rows = await source.rows();
const changes = (await source.log()).length;
await source.drop();
await db.close();
run.exitHandles = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap');
report('soak', soakTables(run, rows, changes));
// The process must now exit by itself; if something was left open, say what and fail.
setTimeout(() => {
  console.error(
    `soak: still running 10 s after close; handles: ${process.getActiveResourcesInfo().join(', ')}`,
  );
  process.exit(1);
}, 10_000).unref();
