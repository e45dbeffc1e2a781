/**
 * A Redis outage, as numbers per phase: 16 callers loop over `getOrSet` on 200 keys (loader ~1 ms, ~250-byte
 * row) for 2 s, then the redis-server is SIGKILLed for 3 s, then restarted (empty: no persistence) for 3 s.
 * Each contender runs alone on a fresh server with its own kill/restart cycle: stratacache (L1 + Redis and
 * Redis only), bentocache memory + Redis (defaults, and with fail-fast ioredis settings and its L2 circuit
 * breaker), cache-manager 7 memory + @keyv/redis (a plain `KeyvRedis`, and @keyv/redis's own
 * `createKeyvNonBlocking`). Every call is guarded by a 5 s timeout of ours (a call past it counts as
 * failed); unhandled rejections and uncaught exceptions are counted, as are the errors each library
 * reports through its own channel. Per phase: calls served and failed, latency p50/p99/max. After the
 * restart: time to the first L2 write and the first L2 hit, read from the server's own counters.
 */
import { performance } from 'node:perf_hooks';
import { startRedis } from '../../test/helpers/servers.js';
import type { GetOrSetPeer } from '../lib/peers.js';
import {
  bentocacheRedis,
  cacheManagerRedis,
  type Product,
  product,
  type RedisPeerSpec,
  ServerProbe,
  stratacache,
} from '../lib/redis-peers.js';
import { report, type Table } from '../lib/report.js';
import { createRandom } from '../lib/traces.js';

const CALLERS = 16;
const KEYS = 200;
/** In-process tier of the two-tier contenders: a quarter of the keys, so most calls reach Redis. */
const L1_ENTRIES = 50;
const TTL = 60_000;
const LOADER_MS = 1;
/** Each caller pauses this long between calls, so "served" measures availability more than raw speed. */
const PAUSE_MS = 1;
const GUARD_MS = 5_000;
const PHASE_MS = { before: 2_000, during: 3_000, after: 3_000 } as const;
const PROBE_EVERY_MS = 10;
/** The steady L2 throughput is the server's command rate over this last stretch before the kill. */
const STEADY_WINDOW_MS = 1_000;
/** "Back" means this share of the steady L2 throughput, within one probe interval. */
const STEADY_SHARE = 0.8;
const SEED = 7;

type Phase = keyof typeof PHASE_MS;
const PHASES: Phase[] = ['before', 'during', 'after'];

interface Contender {
  spec: RedisPeerSpec;
  l1: number | false;
}

interface PhaseStats {
  served: number;
  failed: number;
  timedOut: number;
  latencies: number[];
}

interface Outcome {
  name: string;
  phases: Record<Phase, PhaseStats>;
  reported: number;
  unhandled: number;
  unlistened: number;
  loads: number;
  /** ms from the restarted server accepting connections to its first key written / first key read. */
  firstWrite: number | undefined;
  firstHit: number | undefined;
  /** ms from the restarted server accepting connections to its command rate reaching 80 % of the steady one. */
  steady: number | undefined;
  restartMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const keys = Array.from({ length: KEYS }, (_, i) => `item:${i}`);

let unhandled = 0;
process.on('unhandledRejection', () => {
  unhandled++;
});
process.on('uncaughtException', () => {
  unhandled++;
});
/**
 * ioredis does not crash on an `error` event nobody listens to: it logs it with console.error. Such
 * events are counted (and not printed) so the report shows them.
 */
let unlistened = 0;
const consoleError = console.error.bind(console);
console.error = (...args: unknown[]): void => {
  if (typeof args[0] === 'string' && args[0].startsWith('[ioredis] Unhandled error event')) unlistened++;
  else consoleError(...args);
};

const TIMEOUT = Symbol('timeout');

/** Resolves the call's value, or TIMEOUT after GUARD_MS (the call itself is left to settle, its error caught). */
function guarded<T>(call: () => Promise<T>): Promise<T | typeof TIMEOUT> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(TIMEOUT), GUARD_MS);
    let pending: Promise<T>;
    try {
      pending = call();
    } catch (err) {
      clearTimeout(timer);
      reject(err);
      return;
    }
    pending.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** One INFO reading: when it returned (performance.now()) and what the server reported. */
interface Sample {
  at: number;
  commands: number;
  keys: number;
  keyspaceHits: number;
}

/**
 * Polls the server's INFO every {@link PROBE_EVERY_MS} ms until `until()`, across the kill (failed polls
 * are skipped while the probe's connection comes back).
 */
async function sampleServer(probe: ServerProbe, until: () => boolean): Promise<Sample[]> {
  const samples: Sample[] = [];
  while (!until()) {
    try {
      const s = await probe.sample();
      samples.push({
        at: performance.now(),
        commands: s.commands,
        keys: s.keys,
        keyspaceHits: s.keyspaceHits,
      });
    } catch {
      // The probe's connection is still coming back; try again.
    }
    await sleep(PROBE_EVERY_MS);
  }
  return samples;
}

/** Commands per ms between two readings of the same server, the probe's own INFO left out. */
function rate(from: Sample, to: Sample): number {
  return (to.commands - from.commands - 1) / (to.at - from.at);
}

/** The recovery figures after the restart, in ms from `restarted` (`undefined`: not within the phase). */
function recovery(
  samples: readonly Sample[],
  killed: number,
  restarted: number,
): { firstWrite: number | undefined; firstHit: number | undefined; steady: number | undefined } {
  const before = samples.filter((s) => s.at <= killed && s.at >= killed - STEADY_WINDOW_MS);
  const after = samples.filter((s) => s.at >= restarted);
  const firstWrite = after.find((s) => s.keys > 0);
  const firstHit = after.find((s) => s.keyspaceHits > 0);
  let steady: number | undefined;
  if (before.length >= 2) {
    const target = STEADY_SHARE * rate(before[0]!, before.at(-1)!);
    for (let i = 1; i < after.length && steady === undefined; i++) {
      // A counter that went back is the probe's first reading of the restarted (empty) server.
      if (after[i]!.commands < after[i - 1]!.commands) continue;
      if (rate(after[i - 1]!, after[i]!) >= target) steady = after[i]!.at - restarted;
    }
  }
  const since = (s: Sample | undefined): number | undefined =>
    s === undefined ? undefined : s.at - restarted;
  return { firstWrite: since(firstWrite), firstHit: since(firstHit), steady };
}

async function run(c: Contender): Promise<Outcome> {
  const server = await startRedis();
  let loads = 0;
  let reported = 0;
  const load = async (key: string): Promise<Product> => {
    loads++;
    await sleep(LOADER_MS);
    return product(key);
  };
  const phases = Object.fromEntries(
    PHASES.map((p) => [p, { served: 0, failed: 0, timedOut: 0, latencies: [] as number[] }]),
  ) as Record<Phase, PhaseStats>;
  const unhandledBefore = unhandled;
  const unlistenedBefore = unlistened;
  let peer: GetOrSetPeer<Product> | undefined;
  let probe: ServerProbe | undefined;
  try {
    peer = await c.spec.create<Product>({
      url: server.url,
      l1: c.l1,
      ttl: TTL,
      load,
      prefix: 'o:',
      onError: () => {
        reported++;
      },
    });
    const p = peer;
    for (const key of keys) await p.getOrSet(key);
    probe = await ServerProbe.open(server.url, server.pid);
    let phase: Phase = 'before';
    let stop = false;
    const sampling = sampleServer(probe, () => stop);
    const caller = async (id: number): Promise<void> => {
      const random = createRandom(SEED + id);
      while (!stop) {
        const key = keys[Math.floor(random() * KEYS)]!;
        const started: Phase = phase;
        const stats = phases[started];
        const t0 = performance.now();
        try {
          const v = await guarded(() => p.getOrSet(key));
          if (v === TIMEOUT) {
            stats.failed++;
            stats.timedOut++;
          } else if (v?.key === key) stats.served++;
          else stats.failed++;
        } catch {
          stats.failed++;
        }
        stats.latencies.push(performance.now() - t0);
        await sleep(PAUSE_MS);
      }
    };
    const callers = Array.from({ length: CALLERS }, (_, id) => caller(id));
    await sleep(PHASE_MS.before);
    phase = 'during';
    const killed = performance.now();
    await server.kill();
    await sleep(PHASE_MS.during);
    const r0 = performance.now();
    await server.restart();
    const restarted = performance.now();
    probe.pid = server.pid;
    phase = 'after';
    await sleep(PHASE_MS.after);
    stop = true;
    await Promise.all(callers);
    const { firstWrite, firstHit, steady } = recovery(await sampling, killed, restarted);
    process.stdout.write(`${c.spec.name}: done\n`);
    return {
      name: c.spec.name,
      phases,
      reported,
      unhandled: unhandled - unhandledBefore,
      unlistened: unlistened - unlistenedBefore,
      loads,
      firstWrite,
      firstHit,
      steady,
      restartMs: restarted - r0,
    };
  } finally {
    const closing = peer?.close().catch(() => {});
    if (closing !== undefined) await Promise.race([closing, sleep(GUARD_MS)]);
    await probe?.close().catch(() => {});
    await server.stop();
  }
}

const contenders: Contender[] = [
  { spec: { ...stratacache(), name: 'stratacache Cache (L1 + Redis)' }, l1: L1_ENTRIES },
  { spec: { ...stratacache(), name: 'stratacache Cache (Redis only, l1: false)' }, l1: false },
  { spec: { ...bentocacheRedis(), name: 'bentocache 1.6 (memory + Redis)' }, l1: L1_ENTRIES },
  {
    spec: { ...bentocacheRedis(true), name: 'bentocache 1.6 (memory + Redis, fail-fast ioredis, breaker)' },
    l1: L1_ENTRIES,
  },
  { spec: { ...cacheManagerRedis(), name: 'cache-manager 7 (memory + @keyv/redis)' }, l1: L1_ENTRIES },
  {
    spec: {
      ...cacheManagerRedis(true),
      name: 'cache-manager 7 (memory + @keyv/redis createKeyvNonBlocking)',
    },
    l1: L1_ENTRIES,
  },
];

const outcomes: Outcome[] = [];
for (const c of contenders) outcomes.push(await run(c));

const ms = (v: number | undefined): string => (v === undefined ? 'none' : `${Math.round(v)}`);
const lat = (v: number): string => (Number.isNaN(v) ? '–' : v < 10 ? v.toFixed(2) : `${Math.round(v)}`);

const tables: Table[] = [
  {
    title: `Calls per phase: ${PHASE_MS.before / 1000} s before, ${PHASE_MS.during / 1000} s with redis-server SIGKILLed, ${PHASE_MS.after / 1000} s after its restart`,
    note: `${CALLERS} callers, each looping over getOrSet on ${KEYS} keys (uniform) with a ${PAUSE_MS} ms pause between calls; loader ${LOADER_MS} ms; in-process tier ${L1_ENTRIES} entries where there is one; TTL ${TTL / 1000} s. A call counts in the phase it started in. Failed = rejected, wrong value, or not settled within our ${GUARD_MS / 1000} s guard (timed out, also counted separately). Errors reported: through the library's own channel (stratacache \`error\` events, bentocache's logger at error level, Keyv \`error\` events). Unlistened error events: ioredis \`error\` events without a listener, which ioredis logs to the console. Each contender ran alone on its own fresh server.`,
    columns: [
      'contender',
      ...PHASES.flatMap((p) => [`${p}: served`, `${p}: failed`]),
      'timed out (5 s)',
      'errors reported',
      'unhandled rejections / exceptions',
      'unlistened error events',
      'loader calls',
    ],
    rows: outcomes.map((o) => [
      o.name,
      ...PHASES.flatMap((p) => [String(o.phases[p].served), String(o.phases[p].failed)]),
      String(PHASES.reduce((n, p) => n + o.phases[p].timedOut, 0)),
      String(o.reported),
      String(o.unhandled),
      String(o.unlistened),
      String(o.loads),
    ]),
  },
  {
    title: 'Latency per phase (ms): p50 / p99 / max',
    note: `Latency of every call that started in the phase, served or failed (a guarded call counts ${GUARD_MS} ms).`,
    columns: ['contender', ...PHASES],
    rows: outcomes.map((o) => [
      o.name,
      ...PHASES.map((p) => {
        const sorted = [...o.phases[p].latencies].sort((a, b) => a - b);
        return `${lat(percentile(sorted, 50))} / ${lat(percentile(sorted, 99))} / ${lat(sorted.at(-1) ?? Number.NaN)}`;
      }),
    ]),
  },
  {
    title: 'Recovery after the restart',
    note: `Measured from the moment the restarted server accepts connections (restart itself took the time shown), polling its INFO every ${PROBE_EVERY_MS} ms: the first key written (db0 keys > 0) and the first key read back (keyspace_hits > 0), i.e. the first L2 hit; and the end of the first ${PROBE_EVERY_MS} ms probe interval in which the server processed at least ${STEADY_SHARE * 100} % of the commands per ms it processed over the last ${STEADY_WINDOW_MS / 1000} s before the kill (L2 throughput: calls per interval from the server's total_commands_processed, the probe's own INFO left out; the cache's own call rate hardly drops during the outage, as the loader serves it). "none" = not within the ${PHASE_MS.after / 1000} s after-phase.`,
    columns: [
      'contender',
      'restart took (ms)',
      'first L2 write (ms)',
      'first L2 hit (ms)',
      '80 % of steady throughput (ms)',
    ],
    rows: outcomes.map((o) => [o.name, ms(o.restartMs), ms(o.firstWrite), ms(o.firstHit), ms(o.steady)]),
  },
  {
    title: 'Contenders',
    columns: ['contender', 'set-up'],
    rows: contenders.map((c) => [c.spec.name, c.spec.setup]),
  },
];
report('redis-outage', tables);
