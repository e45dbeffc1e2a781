import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { ShardedStore } from '../../../src/distributed/sharded-store.js';
import { MemcachedStore } from '../../../src/stores/memcached/memcached-store.js';
import { type ServerHandle, startMemcached } from '../../helpers/servers.js';

describe('a ShardedStore of 3 memcached nodes as the l2 of a Cache', () => {
  let servers: ServerHandle[] = [];
  const pool = (): ShardedStore =>
    new ShardedStore({
      nodes: Object.fromEntries(
        servers.map((s) => [`${s.host}:${s.port}`, new MemcachedStore({ host: s.host, port: s.port })]),
      ),
      eject: { failures: 2, retryAfterMs: 60_000 },
    });

  beforeAll(async () => {
    servers = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('shares loaded values between instances, spreads them over nodes and survives a dead node', async () => {
    const l2a = pool();
    const l2b = pool();
    const a = new Cache({ l1: false, l2: l2a, l2Timeout: 1000 });
    const b = new Cache({ l1: false, l2: l2b, l2Timeout: 1000 });
    let loads = 0;
    const loader = (i: number) => async () => {
      loads++;
      return { id: i, name: `user ${i}` };
    };
    for (let i = 0; i < 30; i++)
      expect(await a.getOrSet(`user:${i}`, loader(i))).toEqual({ id: i, name: `user ${i}` });
    expect(loads).toBe(30);
    for (let i = 0; i < 30; i++)
      expect(await b.getOrSet(`user:${i}`, loader(i))).toEqual({ id: i, name: `user ${i}` });
    expect(loads).toBe(30);
    const perNode = Object.values(l2a.stats()).map((s) => s.operations);
    expect(perNode.every((ops) => ops > 0)).toBe(true);

    await servers[0]!.kill();
    for (let i = 0; i < 30; i++)
      expect(await b.getOrSet(`user:${i}`, loader(i))).toEqual({ id: i, name: `user ${i}` });
    expect(loads).toBeGreaterThan(30);
    expect(b.stats().tiers.l2.errors).toBeLessThanOrEqual(2);
    expect(l2b.stats()[`${servers[0]!.host}:${servers[0]!.port}`]!.state).toBe('ejected');
    await a.close();
    await b.close();
    await servers[0]!.restart();
  });
});
