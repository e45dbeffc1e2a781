import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { RedisClusterStore } from '../../../src/stores/redis/redis-cluster-store.js';
import { reportFigure } from '../../helpers/figures.js';
import { type ClusterHandle, clusterNodes, startRedisCluster } from '../../helpers/servers.js';
import { type CallRecord, run, startLoad, until, worstMs } from './cluster-load.js';

const PREFIX = 'fo:';

let cluster: ClusterHandle;
beforeAll(async () => {
  // 3 masters + 3 replicas; a node unreachable for 1 s is marked failed and its replica takes over.
  cluster = await startRedisCluster(3, { replicas: 1, nodeTimeoutMs: 1000 });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

/** The longest time between two L2 hits on keys outside `keys`, from `from` on (ms). */
function longestGap(calls: readonly CallRecord[], keys: ReadonlySet<string>, from: number): number {
  const hits = calls.filter((c) => c.hit && !keys.has(c.key) && c.at >= from).map((c) => c.at + c.ms);
  hits.sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < hits.length; i++) gap = Math.max(gap, hits[i]! - hits[i - 1]!);
  return gap;
}

/** The start of the first call on `keys` that L2 answered at or after `from`, or NaN. */
function firstHit(calls: readonly CallRecord[], keys: ReadonlySet<string>, from: number): number {
  let first = Number.NaN;
  for (const c of calls) if (c.hit && keys.has(c.key) && c.at >= from && !(c.at >= first)) first = c.at;
  return first;
}

/**
 * How the victim master fails: SIGKILL closes its connections (the client sees errors at once); SIGSTOP
 * leaves them open and silent, as a blackholed or paused server does (only command timeouts tell).
 */
type Fault = 'SIGKILL' | 'SIGSTOP';

/** The topology as a live node sees it (a node killed by an earlier test refuses the connection). */
async function liveView(): Promise<Awaited<ReturnType<typeof clusterNodes>>> {
  for (const node of cluster.nodes) {
    try {
      return await clusterNodes(node.port);
    } catch {
      // down: ask the next one
    }
  }
  throw new Error('no cluster node answers');
}

/** Tags (8, spread over the masters) and a version on every key, as the outage tests use them. */
function tagged(key: string): { tags: string[]; version: string } {
  return { tags: [`t${Number(key.slice(3)) % 8}`], version: 'v1' };
}

async function failOver(fault: Fault, withTags = false): Promise<void> {
  const nodes = await liveView();
  // A master that still has a live replica (an earlier test may have used one up).
  const victimNode = nodes.find(
    (m) =>
      m.master && !m.failed && m.ranges.length > 0 && nodes.some((r) => r.masterId === m.id && !r.failed),
  )!;
  const replicaNode = nodes.find((n) => n.masterId === victimNode.id && !n.failed)!;
  const victim = cluster.nodes.find((n) => n.port === victimNode.port)!;
  const replica = cluster.nodes.find((n) => n.port === replicaNode.port)!;
  await until(async () => {
    const { stdout } = await run('redis-cli', ['-p', String(replica.port), 'INFO', 'replication']);
    return stdout.includes('master_link_status:up');
  }, 20_000);

  const store = new RedisClusterStore({ rootNodes: cluster.rootNodes }, { commandTimeoutMs: 500 });
  await store.ready();
  const writer = new Cache({ l2: store, l1: false, prefix: PREFIX });
  const keys = Array.from({ length: 600 }, (_, i) => `key${i}`);
  for (const k of keys) await writer.set(k, `v:${k}`, withTags ? tagged(k) : undefined);
  const victimAddress = `127.0.0.1:${victim.port}`;
  const onVictim = new Set(keys.filter((k) => store.nodeFor(PREFIX + k) === victimAddress));
  expect(onVictim.size).toBeGreaterThan(100);
  // The replica holds every value before its master dies (replication is asynchronous).
  const count = async (port: number): Promise<string> =>
    (await run('redis-cli', ['-p', String(port), 'DBSIZE'])).stdout.trim();
  await until(async () => (await count(replica.port)) === (await count(victim.port)), 10_000);

  const watch = createClient({ url: replica.url });
  await watch.connect();
  // No L1: every call is an L2 read, so a hit says L2 answered for that key.
  const cache = new Cache({ l2: store, l1: false, prefix: PREFIX });
  try {
    const load = startLoad(cache, keys, 16, withTags ? tagged : undefined);
    await new Promise((r) => setTimeout(r, 500));
    const killedAt = performance.now();
    if (fault === 'SIGKILL') await victim.kill();
    else process.kill(victim.pid, 'SIGSTOP');
    const promotedAt = await until(async () => {
      const role = (await watch.sendCommand(['ROLE'])) as unknown[];
      return role[0] === 'master';
    }, 30_000);
    await new Promise((r) => setTimeout(r, 3000));
    const calls = await load.stop();

    // From the promotion on (less the ROLE poll interval): a paused master may still answer the commands
    // it had read before it stopped, which says nothing about the failover.
    const resumedAt = firstHit(calls, onVictim, promotedAt - 20);
    const failoverMs = promotedAt - killedAt;
    const resumeMs = resumedAt - promotedAt;
    const failed = calls.filter((c) => c.failed).length;
    const worst = worstMs(calls);
    // After the first hit the slots stay served: every later read of a victim key (past a short
    // settling) is an L2 hit.
    const later = calls.filter((c) => onVictim.has(c.key) && c.at >= resumedAt + 200);
    const laterHitRatio = later.filter((c) => c.hit).length / later.length;
    // With full coverage required (the default) the other masters answer CLUSTERDOWN too once the
    // dead one is marked failed, until the promotion.
    const otherGapMs = longestGap(calls, onVictim, killedAt);
    const promoted = `127.0.0.1:${replica.port}`;
    const breakers = cache.stats().l2CircuitOpenByNode ?? {};
    console.log(
      `${fault}${withTags ? ' with tags' : ''}: kill → replica promoted ${failoverMs.toFixed(0)} ms; promoted → first L2 hit on its slots ` +
        `${resumeMs.toFixed(0)} ms; calls ${calls.length}, failed ${failed}, worst ${worst.toFixed(1)} ms; ` +
        `victim-slot hit ratio after resume ${laterHitRatio.toFixed(3)}; other slots' longest L2 gap ` +
        `${otherGapMs.toFixed(0)} ms; ` +
        `nodeFor → ${store.nodeFor(PREFIX + [...onVictim][0]!)}; breakers ${JSON.stringify(breakers)}`,
    );
    const as = (fault === 'SIGKILL' ? '' : ' (SIGSTOP)') + (withTags ? ' (tags + version)' : '');
    reportFigure(`kill → replica promoted${as}`, Math.round(failoverMs), 'ms');
    reportFigure(`promoted → L2 hits on its slots${as}`, Math.round(resumeMs), 'ms');
    reportFigure(`failed calls${as}`, failed, 'calls');
    reportFigure(`worst call${as}`, Math.round(worst), 'ms');
    reportFigure(`other slots' longest L2 gap (CLUSTERDOWN)${as}`, Math.round(otherGapMs), 'ms');
    reportFigure(`victim-slot L2 hit ratio after resume${as}`, Number(laterHitRatio.toFixed(3)), 'ratio');

    expect(failed).toBe(0);
    // The L2 timeout (100 ms) plus the loader, with margin for a loaded 2-core machine.
    expect(worst).toBeLessThan(1000);
    expect(Number.isNaN(resumedAt)).toBe(false);
    expect(resumeMs).toBeLessThan(1000);
    expect(laterHitRatio).toBeGreaterThan(0.95);
    // The dead master's keys now map to the promoted replica, whose breaker is closed.
    for (const k of onVictim) expect(store.nodeFor(PREFIX + k)).toBe(promoted);
    expect(breakers[promoted]).toBe(false);
    // The dead master's open breaker went with it: nothing reports L2 as cut any more.
    expect(breakers[victimAddress]).toBeUndefined();
    expect(cache.stats().l2CircuitOpen).toBe(false);
    if (withTags) {
      // Tag invalidation works across the new topology: t0's keys miss, another tag's keys still hit.
      await cache.invalidateTags(['t0']);
      for (const k of ['key0', 'key8', 'key16'])
        expect(await cache.get(k, { version: 'v1' })).toBeUndefined();
      expect(await cache.get('key1', { version: 'v1' })).toBe('v:key1');
    }
  } finally {
    // A stopped master resumes as a replica of the promoted one; the cluster is stopped after the file.
    if (fault === 'SIGSTOP') process.kill(victim.pid, 'SIGCONT');
    await watch.close();
    await cache.close();
    await writer.close();
    await store.close();
  }
}

describe('Cache over a 6-node Redis Cluster when a master with a replica fails', () => {
  it(
    'SIGKILL: fails over with 0 failed calls, and L2 hits on its slots resume within failover + 1 s',
    () => failOver('SIGKILL'),
    90_000,
  );
  it(
    'SIGSTOP (silent, connections open): 0 failed calls, L2 hits on its slots resume within failover + 1 s',
    () => failOver('SIGSTOP'),
    90_000,
  );
  it(
    'SIGKILL with tags and a version on every call: the same bounds, and tag invalidation works after it',
    () => failOver('SIGKILL', true),
    90_000,
  );
});
