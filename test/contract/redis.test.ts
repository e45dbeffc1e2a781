import { afterAll, beforeAll, describe, it } from 'vitest';
import { RedisStore } from '../../src/stores/redis/redis-store.js';
import { storeContract } from '../../src/testing/store-contract.js';
import { type ServerHandle, startRedis } from '../helpers/servers.js';

let server: ServerHandle;

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

storeContract(
  'RedisStore',
  { create: async () => new RedisStore({ url: server.url }) },
  { describe, it, beforeAll, afterAll },
);

storeContract(
  'RedisStore with a prefix holding glob and hash-tag characters',
  { create: async () => new RedisStore({ url: server.url }, { prefix: 'p{x}*[a]:' }) },
  { describe, it, beforeAll, afterAll },
);
