/**
 * The built `stratacache` bin (dist/cli.js) against a private three-master Redis Cluster (`--cluster`):
 * keys are found on every master, entries are read, deletes and tag invalidations reach a cache's L1
 * through the bus, the fleet view lists a heartbeat; the journal commands refuse a cluster, and an
 * unreachable cluster ends with the "unreachable" exit code within the connect timeout.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { startHeartbeat } from '../../../src/observability/fleet/heartbeat.js';
import { RedisClusterStore } from '../../../src/stores/redis/redis-cluster-store.js';
import { type CliRun, requireBuiltCli, runCli } from '../../helpers/cli.js';
import { type ClusterHandle, freePort, startRedisCluster } from '../../helpers/servers.js';

let cluster: ClusterHandle;
let store: RedisClusterStore;
let cache: Cache;

const cli = (...args: string[]): Promise<CliRun> => runCli(args);

const seeds = (): string => cluster.rootNodes.map((n) => n.url).join(',');
const onCluster = (...args: string[]) => cli('--cluster', seeds(), ...args);

beforeAll(async () => {
  requireBuiltCli();
  cluster = await startRedisCluster(3);
  store = new RedisClusterStore({ rootNodes: cluster.rootNodes });
  cache = new Cache({ l2: store, ttl: 60_000, bus: true });
  await store.ready({ timeoutMs: 10_000 });
});
afterAll(async () => {
  await cache?.close();
  await cluster?.stop();
});

describe('stratacache --cluster', () => {
  it('lists keys of every master, reads an entry, and invalidates through the bus', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `user:${i}`);
    for (const id of ids) await cache.set(id, { id }, { tags: ['users'] });
    await cache.set('order:1', 1);
    // 30 keys hash to all three masters' slots: a scan of one node would miss some.
    const listed = JSON.parse((await onCluster('--json', 'keys', 'user:*')).out);
    expect(listed.truncated).toBe(false);
    expect([...listed.keys].sort()).toEqual([...ids].sort());

    const inspected = await onCluster('--json', 'inspect', 'user:7');
    expect(inspected.code).toBe(0);
    expect(JSON.parse(inspected.out).tags).toEqual(['users']);
    expect((await onCluster('inspect', 'nope')).code).toBe(1);

    const del = await onCluster('del', 'order:1');
    expect(del.code).toBe(0);
    await vi.waitFor(async () => expect(await cache.get('order:1')).toBeUndefined());

    expect(await cache.get('user:3')).toEqual({ id: 'user:3' });
    expect((await onCluster('invalidate', '--tag', 'users')).code).toBe(0);
    await vi.waitFor(async () => expect(await cache.get('user:3')).toBeUndefined());
  });

  it('shows the fleet of heartbeats stored in the cluster', async () => {
    const h = startHeartbeat(cache, { store, instanceId: 'cluster-a', name: 'api' });
    await h.beat();
    const fleet = JSON.parse((await onCluster('--json', 'stats')).out);
    expect(fleet.instances.map((i: { id: string }) => i.id)).toEqual(['cluster-a']);
    await h.stop();
  });

  it('refuses the journal commands, bad seed lists and --redis with it, with a usage error', async () => {
    const journal = await onCluster('journal', 'orders:wb');
    expect(journal.code).toBe(2);
    expect(journal.err).toMatch(/single Redis.*pass --redis/);
    const bad = await cli('--cluster', '127.0.0.1:7000', 'keys', '*');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/redis:\/\/ URLs.*got "127\.0\.0\.1:7000"/);
    expect((await cli('--cluster', seeds(), '--redis', 'redis://127.0.0.1:1', 'keys', '*')).code).toBe(2);
  });

  it('ends with the unreachable code, bounded, when no seed node answers', async () => {
    const port = await freePort();
    const started = Date.now();
    const r = await cli('--cluster', `redis://127.0.0.1:${port}`, 'keys', '*');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(new RegExp(`cannot reach Redis Cluster at redis://127\\.0\\.0\\.1:${port}`));
    // The CLI's connect timeout is 3 s; a hang would run into execFile's 20 s.
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
