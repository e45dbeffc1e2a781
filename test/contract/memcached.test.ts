import { afterAll, beforeAll, describe, it } from 'vitest';
import { MemcachedStore } from '../../src/stores/memcached/memcached-store.js';
import { storeContract } from '../../src/testing/store-contract.js';
import { type ServerHandle, startMemcached } from '../helpers/servers.js';

let server: ServerHandle | undefined;

storeContract(
  'MemcachedStore',
  {
    create: async () => {
      server = await startMemcached();
      return new MemcachedStore({ host: server.host, port: server.port });
    },
    destroy: async () => {
      await server?.stop();
    },
    // memcached expires in whole seconds (TTLs are rounded up).
    ttlResolutionMs: 1000,
  },
  { describe, it, beforeAll, afterAll },
);
