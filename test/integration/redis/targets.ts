/** The two Redis deployments the Redis integration suites run against. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RedisClusterStore } from '../../../src/stores/redis/redis-cluster-store.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import type { RedisStoreOptions } from '../../../src/stores/redis/redis-store-base.js';
import { eventually, sleep } from '../../helpers/clock.js';
import { startRedis, startRedisCluster } from '../../helpers/servers.js';

export { eventually, sleep };

const run = promisify(execFile);

export interface Target {
  readonly ports: number[];
  store(options?: RedisStoreOptions): RedisStore | RedisClusterStore;
  /** Runs a redis-cli command on every node; the outputs in node order. */
  cli(...args: string[]): Promise<string[]>;
  stop(): Promise<void>;
}

async function cliOn(ports: number[], args: string[]): Promise<string[]> {
  return Promise.all(
    ports.map(async (port) => (await run('redis-cli', ['-p', String(port), ...args])).stdout.trim()),
  );
}

export const targets: Record<'standalone' | 'cluster', () => Promise<Target>> = {
  standalone: async () => {
    const server = await startRedis();
    return {
      ports: [server.port],
      store: (options) => new RedisStore({ url: server.url }, options),
      cli: (...args) => cliOn([server.port], args),
      stop: () => server.stop(),
    };
  },
  cluster: async () => {
    const cluster = await startRedisCluster();
    const ports = cluster.nodes.map((n) => n.port);
    return {
      ports,
      store: (options) => new RedisClusterStore({ rootNodes: cluster.rootNodes }, options),
      cli: (...args) => cliOn(ports, args),
      stop: () => cluster.stop(),
    };
  },
};

/** Polls `cond` every 20 ms until it holds or `timeoutMs` passes; returns whether it held. */
