import { afterAll, beforeAll, describe, it } from 'vitest';
import { ShardedStore } from '../../src/distributed/sharded-store.js';
import { MemcachedStore } from '../../src/stores/memcached/memcached-store.js';
import { RedisStore } from '../../src/stores/redis/redis-store.js';
import { storeContract } from '../../src/testing/store-contract.js';
import { type ServerHandle, startMemcached, startRedis } from '../helpers/servers.js';

const api = { describe, it, beforeAll, afterAll };
let memcached: ServerHandle[] = [];
let redis: ServerHandle[] = [];

storeContract(
  'ShardedStore over 3 memcached nodes',
  {
    create: async () => {
      memcached = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
      const nodes = Object.fromEntries(
        memcached.map((s) => [`${s.host}:${s.port}`, new MemcachedStore({ host: s.host, port: s.port })]),
      );
      return new ShardedStore({ nodes });
    },
    destroy: async () => {
      await Promise.all(memcached.map((s) => s.stop()));
    },
    ttlResolutionMs: 1000,
  },
  api,
);

storeContract(
  'ShardedStore over 3 standalone Redis nodes',
  {
    create: async () => {
      redis = await Promise.all([startRedis(), startRedis(), startRedis()]);
      const nodes = Object.fromEntries(
        redis.map((s) => [`${s.host}:${s.port}`, new RedisStore({ url: s.url })]),
      );
      return new ShardedStore({ nodes });
    },
    destroy: async () => {
      await Promise.all(redis.map((s) => s.stop()));
    },
  },
  api,
);
