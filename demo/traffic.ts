import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import type { ProgressBar } from './progress-bar.js';

/** A stretch of the run with a name, starting at request index `from`; `enter` runs when it begins. */
export interface Phase {
  name: string;
  from: number;
  enter?: () => void;
}

/** Something the run does once, in the background, when request index `at` is reached. */
export interface Milestone {
  at: number;
  run: () => Promise<void>;
}

export interface TrafficPlan {
  /** Product id of each request. */
  ids: Int32Array;
  requests: number;
  clients: number;
  /** Requests per second the clients are paced at (request i is due at i / rate s). */
  rate: number;
  phases: readonly Phase[];
  milestones?: readonly Milestone[];
  progress: ProgressBar;
}

/** What each request did: latency in ms, phase index, and the error of each failed one. */
export interface TrafficResult {
  latencies: Float64Array;
  phaseOf: Uint8Array;
  failures: Array<{ index: number; id: number; error: unknown }>;
  elapsedMs: number;
}

/**
 * Runs `requests` reads from `clients` concurrent async loops, paced at `rate` per second on a shared
 * schedule (a client that falls behind sends its next request at once, like a real client backlog).
 * Latency is measured from sending to answer, per request.
 */
export async function runTraffic(
  plan: TrafficPlan,
  read: (id: number, startedAt: number) => Promise<void>,
): Promise<TrafficResult> {
  const { ids, requests, clients, rate, phases, progress } = plan;
  const latencies = new Float64Array(requests);
  const phaseOf = new Uint8Array(requests);
  const failures: TrafficResult['failures'] = [];
  const milestones = [...(plan.milestones ?? [])].sort((a, b) => a.at - b.at);
  const background: Array<Promise<void>> = [];
  const intervalMs = 1000 / rate;
  const t0 = performance.now();
  let next = 0;
  let done = 0;
  let phase = -1;
  let milestone = 0;

  const advance = (i: number): void => {
    while (phase + 1 < phases.length && phases[phase + 1]!.from <= i) {
      phase++;
      phases[phase]!.enter?.();
    }
    while (milestone < milestones.length && milestones[milestone]!.at <= i) {
      const task = milestones[milestone]!.run();
      // Handled here so an early failure is not an unhandled rejection; it is rethrown after the run.
      task.catch(() => {});
      background.push(task);
      milestone++;
    }
  };

  const client = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= requests) return;
      const wait = t0 + i * intervalMs - performance.now();
      // Always give the event loop a turn, so timers (soft timeouts, the progress bar) run on time.
      if (wait >= 1) await sleep(wait);
      else await yieldToLoop();
      advance(i);
      const id = ids[i]!;
      let own = phases.length - 1;
      while (own > 0 && phases[own]!.from > i) own--;
      phaseOf[i] = own;
      const startedAt = performance.now();
      try {
        await read(id, startedAt);
      } catch (error) {
        failures.push({ index: i, id, error });
      }
      latencies[i] = performance.now() - startedAt;
      done++;
      progress.update(done, phases[phase]!.name);
    }
  };

  await Promise.all(Array.from({ length: clients }, client));
  await Promise.all(background);
  progress.finish();
  return { latencies, phaseOf, failures, elapsedMs: performance.now() - t0 };
}

/** The q-quantile (0..1) of `values` by the nearest-rank method, or 0 when empty. */
export function quantile(values: Float64Array, q: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
