/**
 * getOrSet load and Cluster slot-owner reads shared by the Cluster failover and resharding tests.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Cache } from '../../../src/cache.js';
import type { GetOrSetOptions } from '../../../src/options.js';
import { SLOT_COUNT } from '../../../src/stores/redis/cluster-slot.js';
import { clusterNodes } from '../../helpers/servers.js';

export const run = promisify(execFile);

/** One getOrSet call: when it started (ms, `performance.now()`), how long it took, and how it ended. */
export interface CallRecord {
  readonly key: string;
  readonly at: number;
  readonly ms: number;
  /** The loader did not run: L2 answered (the tests run without L1). */
  readonly hit: boolean;
  readonly failed: boolean;
}

/**
 * `workers` loops of getOrSet over `keys` until `stop()`, which resolves every call made. Each worker
 * yields to the event loop between calls, as requests arriving from sockets do: a call the breaker refuses
 * settles without I/O, and loops of those alone would starve every timer. `options` gives each key's call
 * options (tags, version).
 */
export function startLoad(
  cache: Cache,
  keys: readonly string[],
  workers = 16,
  options?: (key: string) => GetOrSetOptions,
): { stop(): Promise<CallRecord[]> } {
  const calls: CallRecord[] = [];
  let running = true;
  const worker = async (offset: number): Promise<void> => {
    for (let i = offset; running; i += workers) {
      const key = keys[i % keys.length]!;
      let loaded = false;
      let failed = false;
      const at = performance.now();
      try {
        await cache.getOrSet(
          key,
          async () => {
            loaded = true;
            return `v:${key}`;
          },
          options?.(key),
        );
      } catch {
        failed = true;
      }
      calls.push({ key, at, ms: performance.now() - at, hit: !loaded && !failed, failed });
      await new Promise((r) => setImmediate(r));
    }
  };
  const done = Promise.all(Array.from({ length: workers }, (_, i) => worker(i)));
  return {
    async stop() {
      running = false;
      await done;
      return calls;
    },
  };
}

/** The longest call (ms); a loop, as a spread of 100k+ calls would overflow the stack. */
export function worstMs(calls: readonly CallRecord[]): number {
  let worst = 0;
  for (const c of calls) if (c.ms > worst) worst = c.ms;
  return worst;
}

/** The port of the master owning each slot, as the node on `port` sees it (-1 where none). */
export async function slotOwners(port: number): Promise<number[]> {
  const owners = new Array<number>(SLOT_COUNT).fill(-1);
  for (const node of await clusterNodes(port)) {
    if (!node.master || node.failed) continue;
    for (const [a, b] of node.ranges) for (let s = a; s <= b; s++) owners[s] = node.port;
  }
  return owners;
}

/** Polls `check` every `everyMs` until it holds; the time (`performance.now()`) it first held. */
export async function until(check: () => Promise<boolean>, timeoutMs: number, everyMs = 10): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return performance.now();
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
