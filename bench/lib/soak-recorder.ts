/**
 * What the soak suite (bench/suites/soak.ts) records of every call: latency per operation, per fault
 * window and per minute, and failures grouped by cause — in fixed memory (histograms and counters).
 */
import type { FaultKind, FaultWindow } from './soak-faults.js';
import { LatencyHistogram } from './soak-model.js';
import type { Op, Outcome, SoakRun } from './soak-report.js';

/** An empty run of `durationMs`; set `t0` when the traffic starts. */
export function createRun(
  durationMs: number,
  faultEveryMs: number,
  windows: FaultWindow[],
  bounds: SoakRun['bounds'],
): SoakRun {
  return {
    t0: 0,
    durationMs,
    faultEveryMs,
    minutes: Array.from({ length: Math.ceil(durationMs / 60_000) }, () => ({
      calls: 0,
      failed: 0,
      latency: new LatencyHistogram(),
      loads: 0,
      idealLoads: 0,
    })),
    byWindow: new Map(),
    ops: new Map(),
    causes: new Map(),
    failed: 0,
    staleTolerated: 0,
    worstLateMs: 0,
    samples: [],
    instances: [],
    windows,
    unhandled: 0,
    exitHandles: [],
    bounds,
  };
}

function entry<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  const found = map.get(key);
  if (found !== undefined) return found;
  const made = make();
  map.set(key, made);
  return made;
}

/** The minute bucket of a `performance.now()` time. */
export function minuteOf(run: SoakRun, t: number): SoakRun['minutes'][number] {
  const i = Math.floor((t - run.t0) / 60_000);
  return run.minutes[Math.min(run.minutes.length - 1, Math.max(0, i))]!;
}

/** The window a call started at `t` belongs to: the last fault if within it or its recovery, else quiet. */
function windowOf(run: SoakRun, t: number): FaultKind | 'quiet' {
  const w = run.windows.at(-1);
  return w !== undefined && t >= w.start && t <= w.end + run.bounds.recoveryMs ? w.kind : 'quiet';
}

/** One settled call. `cause` groups failures (default: the operation); `detail` describes the first. */
export interface CallRecord {
  op: Op;
  inst: number;
  started: number;
  outcome: Outcome;
  detail: string;
  cause: string;
}

export function recordCall(run: SoakRun, r: CallRecord): void {
  const ms = performance.now() - r.started;
  const atS = (r.started - run.t0) / 1000;
  const minute = minuteOf(run, r.started);
  const win = windowOf(run, r.started);
  const o = entry(run.ops, r.op, () => ({
    calls: 0,
    failed: 0,
    latency: new LatencyHistogram(),
    worst: undefined,
  }));
  const w = entry(run.byWindow, win, () => ({
    calls: 0,
    failed: 0,
    staleTolerated: 0,
    worstMs: 0,
    latency: new LatencyHistogram(),
  }));
  o.calls++;
  w.calls++;
  o.latency.record(ms);
  w.latency.record(ms);
  if (ms > w.worstMs) w.worstMs = ms;
  if (o.worst === undefined || ms > o.worst.ms) o.worst = { ms, atS, inst: r.inst, window: win };
  if (r.op === 'getOrSet') {
    minute.calls++;
    minute.latency.record(ms);
  }
  if (r.outcome === 'stale-tolerated') {
    run.staleTolerated++;
    w.staleTolerated++;
  } else if (r.outcome !== 'ok') {
    run.failed++;
    o.failed++;
    w.failed++;
    minute.failed++;
    const cause = r.cause || r.op;
    const c = entry(run.causes, `${r.outcome}|${cause}|${win}`, () => ({
      outcome: r.outcome,
      cause,
      window: win,
      count: 0,
      first: r.detail,
      firstAtS: atS,
    }));
    c.count++;
  }
}
