import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { keySlot, tagForSlot } from '../../../src/stores/redis/cluster-slot.js';
import { RedisClusterStore } from '../../../src/stores/redis/redis-cluster-store.js';
import { reportFigure } from '../../helpers/figures.js';
import { type ClusterHandle, clusterNodes, startRedisCluster } from '../../helpers/servers.js';
import { type CallRecord, run, slotOwners, startLoad, worstMs } from './cluster-load.js';

const PREFIX = 'rs:';
const SLOTS = 1000;
const BUCKET_MS = 100;

let cluster: ClusterHandle;
beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

/** The L2 hit ratio of calls on `keys` started in [from, to). */
function hitRatio(calls: readonly CallRecord[], keys: ReadonlySet<string>, from: number, to: number): number {
  const mine = calls.filter((c) => keys.has(c.key) && c.at >= from && c.at < to);
  return mine.filter((c) => c.hit).length / mine.length;
}

/**
 * How long after `end` the hit ratio of `keys` stayed below `floor`: the end of the last
 * {@link BUCKET_MS} bucket from `start` on whose ratio was below it, minus `end` (0 when none was after).
 */
function recoveryMs(
  calls: readonly CallRecord[],
  keys: ReadonlySet<string>,
  start: number,
  end: number,
): number {
  let last = start;
  for (const c of calls) if (c.at > last) last = c.at;
  let recovered = end;
  for (let t = start; t < last; t += BUCKET_MS) {
    const ratio = hitRatio(calls, keys, t, t + BUCKET_MS);
    if (ratio < 0.95) recovered = Math.max(recovered, t + BUCKET_MS);
  }
  return recovered - end;
}

describe('Cache over a Redis Cluster while slots are resharded', () => {
  it(`moves ${SLOTS} slots under getOrSet load with 0 failed calls (MOVED/ASK followed)`, async () => {
    const port = cluster.nodes[0]!.port;
    const nodes = (await clusterNodes(port)).filter((n) => n.master);
    const [from, to] = [nodes[0]!, nodes[1]!];
    const before = await slotOwners(port);

    const store = new RedisClusterStore({ rootNodes: cluster.rootNodes }, { commandTimeoutMs: 500 });
    await store.ready();
    const writer = new Cache({ l2: store, l1: false, prefix: PREFIX });
    // Three keys in each slot about to move (redis-cli takes the source's lowest slots first), so some
    // are read while their slot is half migrated (ASK), plus keys elsewhere.
    const [lowest] = from.ranges[0]!;
    const keys = Array.from(
      { length: 3 * SLOTS },
      (_, i) => `{${tagForSlot(lowest + Math.floor(i / 3))}}:${i % 3}`,
    );
    for (let i = 0; i < 1000; i++) keys.push(`key${i}`);
    for (const k of keys) await writer.set(k, `v:${k}`);

    // node-redis reports each redirection it follows on its error channel.
    const redirects = { MOVED: 0, ASK: 0 };
    const onRedirect = (message: unknown): void => {
      const kind = String((message as { error?: Error }).error?.message).split(' ')[0];
      if (kind === 'MOVED' || kind === 'ASK') redirects[kind]++;
    };
    subscribe('node-redis:error', onRedirect);
    // No L1: every call is an L2 read, so a hit says L2 answered for that key.
    const cache = new Cache({ l2: store, l1: false, prefix: PREFIX });
    try {
      const load = startLoad(cache, keys);
      await new Promise((r) => setTimeout(r, 500));
      const startedAt = performance.now();
      await run(
        'redis-cli',
        [
          '--cluster',
          'reshard',
          `127.0.0.1:${port}`,
          '--cluster-from',
          from.id,
          '--cluster-to',
          to.id,
          '--cluster-slots',
          String(SLOTS),
          '--cluster-yes',
        ],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      const endedAt = performance.now();
      await new Promise((r) => setTimeout(r, 2000));
      const calls = await load.stop();

      const after = await slotOwners(port);
      let movedSlots = 0;
      for (let s = 0; s < after.length; s++) if (before[s] !== after[s]) movedSlots++;
      const moved = new Set(keys.filter((k) => before[keySlot(PREFIX + k)] !== after[keySlot(PREFIX + k)]));
      const failed = calls.filter((c) => c.failed).length;
      const worst = worstMs(calls);
      const reshardMs = endedAt - startedAt;
      const duringRatio = hitRatio(calls, moved, startedAt, endedAt);
      const afterRatio = hitRatio(calls, moved, endedAt + 1000, Number.POSITIVE_INFINITY);
      const backMs = recoveryMs(calls, moved, startedAt, endedAt);
      const movedCalls = calls.filter((c) => moved.has(c.key) && c.at >= startedAt && c.at < endedAt).length;
      console.log(
        `reshard of ${movedSlots} slots (${moved.size} keys) took ${reshardMs.toFixed(0)} ms; calls ${calls.length}, ` +
          `failed ${failed}, worst ${worst.toFixed(1)} ms; moved-key L2 hit ratio during ${duringRatio.toFixed(3)} ` +
          `(${movedCalls} calls), from 1 s after ${afterRatio.toFixed(3)}; ≥ 95 % again ${backMs.toFixed(0)} ms after ` +
          `the end; redirections followed ${JSON.stringify(redirects)}`,
      );
      reportFigure('slots moved', movedSlots, 'slots');
      reportFigure('reshard duration', Math.round(reshardMs), 'ms');
      reportFigure('failed calls', failed, 'calls');
      reportFigure('worst call', Math.round(worst), 'ms');
      reportFigure('moved-key L2 hit ratio during reshard', Number(duringRatio.toFixed(3)), 'ratio');
      reportFigure('moved-key L2 hit ratio ≥ 95 % again after reshard end', Math.round(backMs), 'ms');
      reportFigure('MOVED replies followed', redirects.MOVED, 'replies');
      reportFigure('ASK replies followed', redirects.ASK, 'replies');

      expect(movedSlots).toBe(SLOTS);
      expect(moved.size).toBeGreaterThan(100);
      expect(failed).toBe(0);
      expect(redirects.MOVED).toBeGreaterThan(0);
      expect(worst).toBeLessThan(1000);
      expect(duringRatio).toBeGreaterThan(0.9);
      expect(afterRatio).toBeGreaterThan(0.99);
      expect(backMs).toBeLessThan(1000);
      // The store's slot map follows: moved keys map to the target master.
      for (const k of moved) expect(store.nodeFor(PREFIX + k)).toBe(`127.0.0.1:${to.port}`);
    } finally {
      unsubscribe('node-redis:error', onRedirect);
      await cache.close();
      await writer.close();
      await store.close();
    }
  }, 120_000);
});
