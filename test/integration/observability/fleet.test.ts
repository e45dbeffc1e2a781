/** The fleet heartbeat against the suite's private redis-server, with two caches as two instances. */
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { readFleet, startHeartbeat } from '../../../src/observability/fleet/heartbeat.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import { MapStore } from '../../../src/testing/map-store.js';
import { freePort, type ServerHandle, startRedis } from '../../helpers/servers.js';

let redis: ServerHandle;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

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
});
