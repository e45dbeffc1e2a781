/**
 * The faults of the soak suite (bench/suites/soak.ts), injected one at a time in a fixed cycle: a
 * redis-server SIGKILL and restart (empty: no persistence), a blackhole and +150 ms replies on the fault
 * proxy in front of instance B, a cut of every pub/sub connection at the server (`CLIENT KILL TYPE
 * pubsub`), and the write-behind sink (the database) failing. Each fault is recorded as a window of
 * `performance.now()` times so reads can be judged by the bound that applies to them.
 */
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { FaultProxy } from '../../test/helpers/fault-proxy.js';
import type { ServerHandle } from '../../test/helpers/servers.js';

const run = promisify(execFile);

export const FAULT_KINDS = ['redis-kill', 'blackhole', 'slow', 'pubsub-cut', 'sink-down'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** How long each fault lasts (ms); the pub/sub cut is one instant. */
export const FAULT_MS: Record<FaultKind, number> = {
  'redis-kill': 3_000,
  blackhole: 5_000,
  slow: 10_000,
  'pubsub-cut': 0,
  'sink-down': 10_000,
};

export const FAULT_LABEL: Record<FaultKind, string> = {
  'redis-kill': `redis-server SIGKILL, restarted after ${FAULT_MS['redis-kill'] / 1000} s (empty)`,
  blackhole: `blackhole on B's proxy for ${FAULT_MS.blackhole / 1000} s`,
  slow: `+150 ms on every chunk through B's proxy for ${FAULT_MS.slow / 1000} s`,
  'pubsub-cut': 'CLIENT KILL TYPE pubsub (both instances)',
  'sink-down': `write-behind sink throws for ${FAULT_MS['sink-down'] / 1000} s`,
};

/** What the faults act on. */
export interface FaultTargets {
  server: ServerHandle;
  proxy: FaultProxy;
  /** Switches the write-behind sink's outage on or off. */
  sinkDown(on: boolean): void;
}

/** One injected fault: from its start to the moment it was healed. */
export interface FaultWindow {
  kind: FaultKind;
  start: number;
  end: number;
}

/** Injects `kind`, waits out its duration and heals it; its window is in `windows` from the start. */
export async function inject(kind: FaultKind, t: FaultTargets, windows: FaultWindow[]): Promise<void> {
  const w: FaultWindow = { kind, start: performance.now(), end: Number.POSITIVE_INFINITY };
  windows.push(w);
  switch (kind) {
    case 'redis-kill':
      await t.server.kill();
      await sleep(FAULT_MS[kind]);
      await t.server.restart();
      break;
    case 'blackhole':
      t.proxy.blackhole(true);
      await sleep(FAULT_MS[kind]);
      t.proxy.blackhole(false);
      break;
    case 'slow':
      t.proxy.latency(150);
      await sleep(FAULT_MS[kind]);
      t.proxy.latency(0);
      break;
    case 'pubsub-cut':
      await run('redis-cli', [
        '-h',
        '127.0.0.1',
        '-p',
        String(t.server.port),
        'CLIENT',
        'KILL',
        'TYPE',
        'pubsub',
      ]);
      break;
    case 'sink-down':
      t.sinkDown(true);
      await sleep(FAULT_MS[kind]);
      t.sinkDown(false);
      break;
  }
  w.end = performance.now();
}

/**
 * True if a window of a fault that touches the cache (not the sink), extended by `recoveryMs` after it
 * was healed, overlaps [from, to].
 */
export function cacheFaultBetween(
  windows: readonly FaultWindow[],
  recoveryMs: number,
  from: number,
  to: number,
): boolean {
  for (const w of windows)
    if (w.kind !== 'sink-down' && w.start <= to && w.end + recoveryMs >= from) return true;
  return false;
}
