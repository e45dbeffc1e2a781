import { afterAll, beforeAll, describe, it } from 'vitest';
import { RedisClusterStore } from '../../src/stores/redis/redis-cluster-store.js';
import { storeContract } from '../../src/testing/store-contract.js';
import { type ClusterHandle, startRedisCluster } from '../helpers/servers.js';

let cluster: ClusterHandle | undefined;

storeContract(
  'RedisClusterStore',
  {
    create: async () => {
      cluster = await startRedisCluster();
      return new RedisClusterStore({ rootNodes: cluster.rootNodes });
    },
    destroy: async () => {
      await cluster?.stop();
    },
  },
  { describe, it, beforeAll, afterAll },
);
