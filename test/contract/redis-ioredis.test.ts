import { Redis as IORedis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache.js';
import { RedisStore } from '../../src/stores/redis/redis-store.js';
import { storeContract } from '../../src/testing/store-contract.js';
import { type ServerHandle, startRedis } from '../helpers/servers.js';

// A borrowed ioredis client drives the store as a node-redis one does: the same contract, and the bus.
let server: ServerHandle;
const clients: IORedis[] = [];
const ioredis = (lazyConnect = false): IORedis => {
  const client = new IORedis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect });
  clients.push(client);
  return client;
};

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server?.stop();
});

storeContract(
  'RedisStore over an ioredis client',
  { create: async () => new RedisStore({ client: ioredis() }) },
  { describe, it, beforeAll, afterAll },
);

storeContract(
  'RedisStore over a lazy ioredis client, with a glob prefix',
  {
    create: async () => new RedisStore({ client: ioredis(true) }, { prefix: 'p{x}*[a]:' }),
  },
  { describe, it, beforeAll, afterAll },
);

describe('RedisStore over ioredis: the bus between two caches, errors, close', () => {
  it('a set on one cache drops the other cache L1 copy through the bus', async () => {
    const a = new Cache({ l2: new RedisStore({ client: ioredis() }), bus: true, prefix: 'io:' });
    const b = new Cache({ l2: new RedisStore({ client: ioredis() }), bus: true, prefix: 'io:' });
    try {
      await a.set('k', { v: 1 });
      expect(await b.get('k')).toEqual({ v: 1 }); // now in b's L1
      await a.set('k', { v: 2 });
      const deadline = Date.now() + 3000;
      let seen: unknown;
      while (Date.now() < deadline) {
        seen = await b.get('k');
        if ((seen as { v: number }).v === 2) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(seen).toEqual({ v: 2 });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('maps an error reply to StoreReplyError and leaves the borrowed client open on close', async () => {
    const client = ioredis();
    const store = new RedisStore({ client });
    await store.ready({ timeoutMs: 5000 });
    await client.set('io:str', 'x');
    await client.lpush('io:list', 'x');
    const err = await store.incr('io:list').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_CACHE_STORE_REPLY' });
    expect((err as Error).message).toMatch(/WRONGTYPE/);
    await store.close();
    expect(client.status).toBe('ready');
    expect(await client.get('io:str')).toBe('x');
  });
});
