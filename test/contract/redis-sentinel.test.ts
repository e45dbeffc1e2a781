import { afterAll, beforeAll, describe, it } from 'vitest';
import { RedisSentinelStore } from '../../src/stores/redis/redis-sentinel-store.js';
import { storeContract } from '../../src/testing/store-contract.js';
import { type SentinelHandle, startRedisSentinel } from '../helpers/servers.js';

let topology: SentinelHandle | undefined;

storeContract(
  'RedisSentinelStore',
  {
    create: async () => {
      topology = await startRedisSentinel();
      return new RedisSentinelStore({ sentinels: topology.sentinels, name: topology.name });
    },
    destroy: async () => {
      await topology?.stop();
    },
  },
  { describe, it, beforeAll, afterAll },
);
