import { createClient, createCluster } from '@redis/client';
import { describe, expect, it } from 'vitest';
import { RedisClusterStore } from '../../../src/stores/redis/redis-cluster-store.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';

describe('borrowed clients', () => {
  it('accept the node-redis client and cluster types as they come (compile-time check)', async () => {
    const client = createClient({ url: 'redis://127.0.0.1:1', socket: { reconnectStrategy: false } });
    const cluster = createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:1' }] });
    const make = (): unknown[] => [
      new RedisStore({ client }, { commandTimeoutMs: 50 }),
      new RedisClusterStore({ client: cluster, connected: true }),
    ];
    expect(typeof make).toBe('function');
  });
});
