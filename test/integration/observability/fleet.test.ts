/** The fleet heartbeat against the suite's private redis-server, with two caches as two instances. */
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { ShardedStore } from '../../../src/distributed/sharded-store.js';
import { readFleet, startHeartbeat } from '../../../src/observability/fleet/heartbeat.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import { RedisStreamJournal } from '../../../src/strategies/write-behind/redis-stream-journal.js';
import { writeBehind } from '../../../src/strategies/write-behind/write-behind-queue.js';
import { MapStore } from '../../../src/testing/map-store.js';
import { freePort, type ServerHandle, startRedis } from '../../helpers/servers.js';

let redis: ServerHandle;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('fleet heartbeat', () => {
  it('lists two live instances with their counters and fleet totals', async () => {
    const prefix = `t1:${Math.random()}:`;
    const sa = new RedisStore({ url: redis.url });
    const sb = new RedisStore({ url: redis.url });
    const a = new Cache({ l2: sa, ttl: 60_000 });
    const b = new Cache({ l2: sb, ttl: 60_000 });
    const ha = startHeartbeat(a, { store: sa, instanceId: 'a', name: 'api', keyPrefix: prefix });
    const hb = startHeartbeat(b, { store: sb, instanceId: 'b', keyPrefix: prefix });
    await a.getOrSet('k1', () => 1);
    await a.get('k1');
    await b.get('nope');
    expect(await ha.beat()).toBe(true);
    expect(await hb.beat()).toBe(true);
    const fleet = await readFleet(sa, { keyPrefix: prefix });
    expect(fleet.instances.map((i) => i.id)).toEqual(['a', 'b']);
    const [ia, ib] = fleet.instances;
    expect(ia).toMatchObject({ name: 'api', pid: process.pid, v: 1 });
    expect(ia!.counters.hits).toBe(1);
    expect(ia!.l1.entries).toBe(1);
    expect(ib!.counters.misses).toBe(1);
    expect(fleet.totals.instances).toBe(2);
    expect(fleet.totals.counters.hits).toBe(a.stats().hits + b.stats().hits);
    expect(fleet.totals.counters.misses).toBe(a.stats().misses + b.stats().misses);
    expect(fleet.totals.latency.get.count).toBe(a.stats().latency.get.count + b.stats().latency.get.count);
    expect(typeof ia!.version).toBe('string');
    expect(fleet.unreadable).toBe(0);

    await hb.stop();
    expect((await readFleet(sa, { keyPrefix: prefix })).instances.map((i) => i.id)).toEqual(['a']);
    await a.close();
    // The cache closed its L2 store: the next beat fails with ClosedError and the heartbeat stops itself.
    expect(await ha.beat()).toBe(false);
    expect(ha.stopped).toBe(true);
    expect(ha.failures).toBe(1);
    await b.close();
  });

  it('writes with the TTL, beats on its timer, and skips foreign values', async () => {
    const prefix = `t2:${Math.random()}:`;
    const store = new RedisStore({ url: redis.url });
    const cache = new Cache({ l2: store });
    const h = startHeartbeat(cache, { store, intervalMs: 50, ttlMs: 5_000, keyPrefix: prefix });
    const raw = createClient({ url: redis.url });
    await raw.connect();
    await raw.set(`${prefix}junk`, 'not json', { PX: 5_000 });
    while (h.beats < 3) await new Promise((r) => setTimeout(r, 20));
    const pttl = await raw.pTTL(h.key);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(5_000);
    const fleet = await readFleet(store, { keyPrefix: prefix });
    expect(fleet.instances).toHaveLength(1);
    expect(fleet.unreadable).toBe(1);
    await h.stop();
    expect(await raw.exists(h.key)).toBe(0);
    await raw.quit();
    await cache.close();
  });

  it('counts failures against an unreachable store instead of throwing', async () => {
    const store = new RedisStore({ url: `redis://127.0.0.1:${await freePort()}` });
    const cache = new Cache({ l2: store });
    const h = startHeartbeat(cache, { store });
    expect(await h.beat()).toBe(false);
    expect(h.failures).toBeGreaterThanOrEqual(1);
    expect(h.lastError).toBeInstanceOf(Error);
    expect(h.stopped).toBe(false);
    await h.stop();
    await cache.close();
  });

  it('refuses a TTL that would expire before the next beat', async () => {
    const cache = new Cache();
    const store = new MapStore();
    expect(() => startHeartbeat(cache, { store, intervalMs: 1000, ttlMs: 500 })).toThrow(/ttlMs.*exceed/);
    await cache.close();
  });

  it('holds per-node health of a sharded pool with a dead node', async () => {
    const prefix = `t5:${Math.random()}:`;
    const beatStore = new RedisStore({ url: redis.url });
    const pool = new ShardedStore({
      nodes: {
        up: new RedisStore({ url: redis.url }),
        down: new RedisStore({ url: `redis://127.0.0.1:${await freePort()}` }),
      },
      eject: false,
    });
    const cache = new Cache({ l2: pool, circuitBreaker: { failures: 1, resetMs: 60_000 } });
    const h = startHeartbeat(cache, { store: beatStore, instanceId: 'sharded', keyPrefix: prefix });
    try {
      // Reads over enough keys to land on both nodes: the dead one's breaker opens, the live one's stays closed.
      for (let i = 0; i < 40; i++) await cache.get(`k${i}`);
      expect(await h.beat()).toBe(true);
      const [i] = (await readFleet(beatStore, { keyPrefix: prefix })).instances;
      expect(i!.nodes).toEqual({ total: 2, open: 1, breakerOpen: { up: false, down: true } });
      expect(i!.breakerOpen).toBe(true);
    } finally {
      await h.stop();
      await cache.close();
      await beatStore.close();
    }
  });

  it('holds write-behind depth, dead letters and lag; the fleet sums them and takes the worst lag', async () => {
    const prefix = `t6:${Math.random()}:`;
    const stream = `wb:fleet:${process.pid}:${Math.random()}`;
    const sa = new RedisStore({ url: redis.url });
    const sb = new RedisStore({ url: redis.url });
    const a = new Cache({ l2: sa, ttl: 60_000 });
    const b = new Cache({ l2: sb, ttl: 60_000 });
    const failing = async (): Promise<void> => {
      throw new Error('database down');
    };
    // A journaled queue whose sink is down: its writes stay pending (journaled, retried) and age.
    const journal = new RedisStreamJournal({ url: redis.url, stream, consumer: 'fleet-1' });
    await journal.open();
    const held = writeBehind<number>(a, {
      saveMany: failing,
      flushIntervalMs: 10,
      retry: { attempts: 1_000, baseDelayMs: 20, maxDelayMs: 50 },
      journal,
      closeTimeoutMs: 200,
    });
    // A memory queue that gives up at once: its writes become dead letters.
    const dropping = writeBehind<number>(a, {
      saveMany: failing,
      flushIntervalMs: 10,
      retry: { attempts: 1, baseDelayMs: 10 },
      onDeadLetter: () => {},
    });
    const other = writeBehind<number>(b, { saveMany: failing, flushIntervalMs: 10, retry: { attempts: 1 } });
    for (const q of [held, dropping, other]) q.on('error', () => {});
    const ha = startHeartbeat(a, {
      store: sa,
      instanceId: 'a',
      keyPrefix: prefix,
      writeBehind: [held, dropping],
    });
    const hb = startHeartbeat(b, { store: sb, instanceId: 'b', keyPrefix: prefix, writeBehind: other });
    try {
      await held.write('h1', 1);
      await held.write('h2', 2);
      await dropping.write('d1', 1);
      await other.write('o1', 1);
      await other.write('o2', 2);
      await until(
        'dead letters',
        () => dropping.stats().deadLettered === 1 && other.stats().deadLettered === 2,
      );
      await until('the held writes to age', () => held.stats().lagMs >= 50);
      expect(await ha.beat()).toBe(true);
      expect(await hb.beat()).toBe(true);
      const fleet = await readFleet(sa, { keyPrefix: prefix });
      const [ia, ib] = fleet.instances;
      expect(ia!.writeBehind).toMatchObject({ queues: 2, pending: 2, deadLettered: 1 });
      expect(ia!.writeBehind!.lagMs).toBeGreaterThanOrEqual(50);
      expect(ia!.writeBehind!.retried).toBeGreaterThan(0);
      expect(ib!.writeBehind).toMatchObject({ queues: 1, pending: 0, deadLettered: 2, lagMs: 0 });
      expect(fleet.totals.writeBehind).toMatchObject({ queues: 3, pending: 2, deadLettered: 3 });
      expect(fleet.totals.writeBehind!.lagMs).toBe(ia!.writeBehind!.lagMs);
      // Keys and values never go into a snapshot.
      const raw = JSON.stringify(fleet);
      for (const k of ['h1', 'h2', 'd1', 'o1', 'o2']) expect(raw).not.toContain(`"${k}"`);
    } finally {
      await Promise.all([ha.stop(), hb.stop()]);
      // The held writes can never drain: close gives up after closeTimeoutMs (they stay in the journal).
      await Promise.all([held.close(), dropping.close(), other.close()]);
      const cleanup = createClient({ url: redis.url });
      await cleanup.connect();
      await cleanup.del([stream, `${stream}:dead`]);
      await cleanup.quit();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('refuses a writeBehind option without stats()', async () => {
    const cache = new Cache();
    const store = new MapStore();
    expect(() => startHeartbeat(cache, { store, writeBehind: [{} as never] })).toThrow(
      /`writeBehind`\[0\] to be a write-behind queue/,
    );
    await cache.close();
  });
});
