/**
 * The tables of the soak suite (bench/suites/soak.ts), from what the run recorded: calls and failures
 * per operation and per fault window, per-minute latency and loader calls against the ideal, heap and
 * handles over time, write-behind writes acknowledged against the rows in the database, and what was
 * left open after `close()`.
 */
import { cpus } from 'node:os';
import type { WriteBehindStats } from 'stratacache';
import type { Table } from './report.js';
import { FAULT_KINDS, FAULT_LABEL, type FaultKind, type FaultWindow } from './soak-faults.js';
import type { LatencyHistogram } from './soak-model.js';

export type Op = 'getOrSet' | 'invalidateTags' | 'namespace clear' | 'write-behind write';
export type Outcome =
  | 'ok'
  | 'timeout'
  | 'rejected'
  | 'wrong-key'
  | 'wrong-version'
  | 'stale'
  | 'stale-tolerated';
type WindowName = FaultKind | 'quiet';

export interface Sample {
  atS: number;
  heapMb: number;
  handles: number;
  nonTimers: number;
  /** 1-minute load average of the machine. */
  load: number;
}

interface Worst {
  ms: number;
  atS: number;
  inst: number;
  window: WindowName;
}

/** Everything a run records. */
export interface SoakRun {
  /** `performance.now()` when the traffic started. */
  t0: number;
  durationMs: number;
  faultEveryMs: number;
  minutes: Array<{
    calls: number;
    failed: number;
    latency: LatencyHistogram;
    loads: number;
    idealLoads: number;
  }>;
  byWindow: Map<
    WindowName,
    { calls: number; failed: number; staleTolerated: number; worstMs: number; latency: LatencyHistogram }
  >;
  ops: Map<Op, { calls: number; failed: number; latency: LatencyHistogram; worst: Worst | undefined }>;
  /** Failed calls grouped by outcome, cause and window, with the first one's detail. */
  causes: Map<
    string,
    { outcome: Outcome; cause: string; window: WindowName; count: number; first: string; firstAtS: number }
  >;
  failed: number;
  staleTolerated: number;
  worstLateMs: number;
  samples: Sample[];
  instances: Array<{
    name: string;
    ackedWrites: number;
    acked: Map<string, number>;
    wb: WriteBehindStats;
    flushTimedOut: boolean;
    cacheErrors: number;
    busResets: number;
    l2Errors: number;
    loads: number;
  }>;
  windows: FaultWindow[];
  unhandled: number;
  exitHandles: string[];
  bounds: { otherMs: number; recoveryMs: number; worstMs: number };
}

const INST = ['A', 'B'];
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const ms = (v: number): string => (Number.isNaN(v) ? '–' : v < 10 ? v.toFixed(2) : `${Math.round(v)}`);
const mb = (v: number): string => v.toFixed(1);

/** Least-squares slope of `y` over `x`. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function trend(
  run: SoakRun,
  pick: (s: Sample) => number,
  unit: string,
  tolerance: (avg: number) => number,
): Array<string | number> {
  const all = run.samples.map(pick);
  // The first 20 % (at most one minute) is warm-up: L1 and the tag state fill up.
  const warm = Math.min(60, (run.durationMs / 1000) * 0.2);
  const steady = run.samples.filter((s) => s.atS >= warm);
  const ys = steady.map(pick);
  const perMin = slope(
    steady.map((s) => s.atS / 60),
    ys,
  );
  const spanMin = steady.length > 1 ? (steady.at(-1)!.atS - steady[0]!.atS) / 60 : 0;
  const avg = mean(ys);
  const growth = perMin * spanMin;
  const fmt = unit === 'MB' ? mb : (v: number) => String(Math.round(v));
  return [
    fmt(all[0] ?? Number.NaN),
    fmt(all.at(-1) ?? Number.NaN),
    fmt(Math.min(...all)),
    fmt(Math.max(...all)),
    `${perMin >= 0 ? '+' : ''}${perMin.toFixed(unit === 'MB' ? 2 : 1)} ${unit}/min`,
    growth <= tolerance(avg) ? 'flat' : `grows (+${fmt(growth)} ${unit} over ${spanMin.toFixed(1)} min)`,
  ];
}

export function soakTables(
  run: SoakRun,
  rows: Map<string, { value: { key: string; seq: number }; version: number }>,
  changes: number,
): Table[] {
  const b = run.bounds;
  const worstOverall = [...run.ops.values()].reduce<Worst | undefined>(
    (w, o) => (o.worst !== undefined && (w === undefined || o.worst.ms > w.ms) ? o.worst : w),
    undefined,
  );
  const tables: Table[] = [];
  tables.push({
    title: `Calls and failures over ${run.durationMs >= 120_000 ? `${Math.round(run.durationMs / 60_000)} min` : `${run.durationMs / 1000} s`}, a fault every ${run.faultEveryMs / 1000} s`,
    note:
      `Failed = rejected, not settled within the 5 s guard, the wrong key or version, or **stale beyond the bound that applies**: an instance must respect its own invalidation (tags, namespace clear) as soon as the call resolved, the other instance's ${b.otherMs / 1000} s after (syncInterval 1 s + 1 s); when a fault window (fault + ${b.recoveryMs / 1000} s of recovery: bus ping + timeout) overlaps the invalidation and the read, the documented outage bound applies, the entry's TTL (${b.worstMs / 1000} s with slack) — such reads are counted as "stale within the outage bound", not failed. ` +
      `Total failed: **${run.failed}**; stale within the outage bound: ${run.staleTolerated} (latest ${ms(run.worstLateMs)} ms after the invalidation); unhandled rejections / exceptions: ${run.unhandled}. ` +
      `Worst call: ${worstOverall === undefined ? '–' : `${ms(worstOverall.ms)} ms at +${worstOverall.atS.toFixed(1)} s on ${INST[worstOverall.inst]} (${worstOverall.window})`}. ` +
      `The machine is shared with other work (${cpus().length} cores; 1-minute load average over the run: mean ${mean(run.samples.map((x) => x.load)).toFixed(1)}, max ${Math.max(...run.samples.map((x) => x.load)).toFixed(1)}): latencies are upper bounds.`,
    columns: ['operation', 'calls', 'failed', 'p50 (ms)', 'p99 (ms)', 'worst (ms)', 'worst at'],
    rows: [...run.ops.entries()].map(([op, o]) => [
      op,
      String(o.calls),
      String(o.failed),
      ms(o.latency.quantile(50)),
      ms(o.latency.quantile(99)),
      ms(o.latency.max),
      o.worst === undefined ? '–' : `+${o.worst.atS.toFixed(1)} s, ${INST[o.worst.inst]}, ${o.worst.window}`,
    ]),
  });
  if (run.causes.size > 0) {
    tables.push({
      title: `Failed calls by cause (${run.failed})`,
      note: "Grouped by outcome, what was missed (the reader's own or the other instance's invalidation) and the window the call started in; the first such call is shown.",
      columns: ['outcome', 'missed', 'window', 'calls', 'first at', 'first'],
      rows: [...run.causes.values()]
        .sort((x, y) => x.firstAtS - y.firstAtS)
        .map((c) => [c.outcome, c.cause, c.window, String(c.count), `+${c.firstAtS.toFixed(1)} s`, c.first]),
    });
  }
  tables.push({
    title: 'Per fault window (calls started during the fault or its recovery)',
    note: `Each window runs from the fault's injection to ${b.recoveryMs / 1000} s after it was healed; "quiet" is everything else. All operations of both instances.`,
    columns: [
      'window',
      'fault',
      'times',
      'calls',
      'failed',
      'stale within the outage bound',
      'p99 (ms)',
      'worst (ms)',
    ],
    rows: (['quiet', ...FAULT_KINDS] as WindowName[]).map((k) => {
      const w = run.byWindow.get(k);
      return [
        k,
        k === 'quiet' ? 'none' : FAULT_LABEL[k],
        String(k === 'quiet' ? '–' : run.windows.filter((x) => x.kind === k).length),
        String(w?.calls ?? 0),
        String(w?.failed ?? 0),
        String(w?.staleTolerated ?? 0),
        ms(w?.latency.quantile(99) ?? Number.NaN),
        ms(w?.worstMs ?? Number.NaN),
      ];
    }),
  });
  const sampleAt = (minute: number): Sample | undefined =>
    [...run.samples].reverse().find((s) => s.atS <= (minute + 1) * 60 + 1);
  tables.push({
    title: 'Per minute: getOrSet latency, loader calls against the ideal, heap',
    note: 'Ideal loader calls: one shared cache without capacity limit or faults loads a key once per change of what its value depends on (a tag or namespace invalidation, a version change) and once per TTL (30 s). Heap and handles: the last 10 s sample of the minute, after a forced GC.',
    columns: [
      'minute',
      'calls',
      'failed',
      'p50 (ms)',
      'p99 (ms)',
      'max (ms)',
      'loader calls',
      'ideal',
      'ratio',
      'heap used (MB)',
      'handles',
    ],
    rows: run.minutes.map((m, i) => {
      const s = sampleAt(i);
      return [
        String(i + 1),
        String(m.calls),
        String(m.failed),
        ms(m.latency.quantile(50)),
        ms(m.latency.quantile(99)),
        ms(m.latency.max),
        String(m.loads),
        String(m.idealLoads),
        m.idealLoads === 0 ? '–' : (m.loads / m.idealLoads).toFixed(2),
        s === undefined ? '–' : mb(s.heapMb),
        s === undefined ? '–' : String(s.handles),
      ];
    }),
  });
  const loads = run.minutes.reduce((n, m) => n + m.loads, 0);
  const idealLoads = run.minutes.reduce((n, m) => n + m.idealLoads, 0);
  tables.push({
    title: `Heap and handles, sampled every 10 s (${run.samples.length} samples)`,
    note: `Heap used after a forced GC; handles = \`process.getActiveResourcesInfo()\` (timers included: every call in flight holds its guard timer), and the same without timers (sockets, servers, the PGlite instance). Slope: least squares after warm-up (the first 20 %, at most 1 min); flat = growth over that span within max(4 MB, 10 %) for the heap, within 4 for handles. Loader calls over the run: ${loads} against an ideal of ${idealLoads} (ratio ${(loads / Math.max(1, idealLoads)).toFixed(2)}); the excess comes from both instances loading the same key (no distributed lock here), L1 purges on bus resets and the restarted Redis coming back empty.`,
    columns: ['metric', 'first', 'last', 'min', 'max', 'slope', 'verdict'],
    rows: [
      [
        'heap used (MB)',
        ...trend(
          run,
          (s) => s.heapMb,
          'MB',
          (mean) => Math.max(4, mean * 0.1),
        ),
      ],
      [
        'active handles',
        ...trend(
          run,
          (s) => s.handles,
          'handles',
          () => 4,
        ),
      ],
      [
        'active handles without timers',
        ...trend(
          run,
          (s) => s.nonTimers,
          'handles',
          () => 4,
        ),
      ],
    ],
  });
  tables.push({
    title: 'Write-behind into PGlite: writes acknowledged against rows applied',
    note: `Each instance writes its own 100 keys (a sequence number per write, ~100 writes/s); the sink fails for 10 s once per fault cycle and its batches are retried (attempts ∞, backoff ≤ 1 s). At the end, after flush() and close(): a key is lost if its row is missing or holds an older write than the last acknowledged one. DB changes: effective row changes logged by the table (${changes} for both instances).`,
    columns: [
      'instance',
      'writes acknowledged',
      'coalesced',
      'entries committed',
      'batches',
      'retried',
      'dead-lettered',
      'keys',
      'keys with the last write applied',
      'lost',
      'flush timed out',
    ],
    rows: run.instances.map((i) => {
      let applied = 0;
      for (const [key, seq] of i.acked) if ((rows.get(key)?.value.seq ?? -1) >= seq) applied++;
      return [
        i.name,
        String(i.ackedWrites),
        String(i.wb.coalesced),
        String(i.wb.flushed),
        String(i.wb.batches),
        String(i.wb.retried),
        String(i.wb.deadLettered),
        String(i.acked.size),
        String(applied),
        String(i.acked.size - applied),
        i.flushTimedOut ? 'yes' : 'no',
      ];
    }),
  });
  tables.push({
    title: 'Instances and exit',
    note: `After every cache, queue, proxy, server and database was closed, the handles still active were: ${run.exitHandles.length === 0 ? 'none' : run.exitHandles.join(', ')} (stdio excluded); the suite then waits for the process to exit by itself and fails if it is still running 10 s later.`,
    columns: ['instance', 'loader calls', 'L2 errors', 'cache error events', 'bus resets'],
    rows: run.instances.map((i) => [
      i.name,
      String(i.loads),
      String(i.l2Errors),
      String(i.cacheErrors),
      String(i.busResets),
    ]),
  });
  return tables;
}
