import { InvalidOptionError } from '../../errors.js';
import { describe } from '../../internal/asserts.js';
import { SentinelTransport } from './redis-sentinel-transport.js';
import { RedisStoreBase, type RedisStoreOptions, resolveRedisOptions } from './redis-store-base.js';
import type { RedisNodeAddress } from './sentinel-discovery.js';

/** How a {@link RedisSentinelStore} finds its master: some of the sentinels, and the monitored name. */
export interface RedisSentinelStoreConnection {
  /** Sentinels to ask, in order of preference (two or three are enough; they tell each other apart). */
  sentinels: ReadonlyArray<RedisNodeAddress>;
  /** The name the sentinels monitor the master under (`sentinel monitor <name> ...`). */
  name: string;
}

/**
 * A `Store` over the master of a Redis Sentinel set, following its failovers.
 *
 * Same semantics, options and errors as `RedisStore`. The store asks the sentinels for the master
 * (`SENTINEL get-master-addr-by-name`), dials it with a fail-fast client, and moves to the new master when
 * the sentinels announce `+switch-master` or when the master stops answering or replies `READONLY`
 * (rediscovery is bounded: one in flight, at most one per 100 ms). Commands sent during a failover reject
 * with a `StoreError` (the `Cache` turns them into misses); the bus and the lock re-subscribe on the new
 * master. Writes acknowledged by the old master but not yet replicated are lost with it (Redis replication
 * is asynchronous).
 *
 * @example
 * const store = new RedisSentinelStore(
 *   { sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2', port: 26379 }], name: 'mymaster' },
 *   { prefix: 'app:' },
 * );
 */
export class RedisSentinelStore extends RedisStoreBase {
  constructor(connection: RedisSentinelStoreConnection, options: RedisStoreOptions = {}) {
    const resolved = resolveRedisOptions(options);
    const { sentinels, name } = validConnection(connection);
    super(
      resolved,
      'redis-sentinel',
      (settings, onError, onReady) => new SentinelTransport(sentinels, name, settings, onError, onReady),
    );
  }
}

function validConnection(connection: RedisSentinelStoreConnection): RedisSentinelStoreConnection {
  if (typeof connection !== 'object' || connection === null) {
    throw new InvalidOptionError(`Expected \`{ sentinels, name }\`, got ${describe(connection)}`);
  }
  const { sentinels, name } = connection;
  if (!Array.isArray(sentinels) || sentinels.length === 0) {
    throw new InvalidOptionError(
      `Expected \`sentinels\` to be a non-empty array of { host, port }, got ${describe(sentinels)}`,
    );
  }
  const copied = sentinels.map((s: unknown, i) => {
    const node = s as Partial<RedisNodeAddress> | null;
    if (typeof node !== 'object' || node === null || typeof node.host !== 'string' || node.host === '') {
      throw new InvalidOptionError(
        `Expected \`sentinels[${i}].host\` to be a non-empty string, got ${describe(node?.host ?? node)}`,
      );
    }
    const port = node.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new InvalidOptionError(
        `Expected \`sentinels[${i}].port\` to be an integer in 1..65535, got ${describe(port)}`,
      );
    }
    return { host: node.host, port };
  });
  if (typeof name !== 'string' || name === '') {
    throw new InvalidOptionError(`Expected \`name\` to be the non-empty master name, got ${describe(name)}`);
  }
  return { sentinels: copied, name };
}
