import { createCluster } from '@redis/client';
import { InvalidOptionError } from '../../errors.js';
import { describe } from '../../internal/asserts.js';
import { ClusterTransport, type RedisClusterLike } from './cluster-transport.js';
import { RedisStoreBase, type RedisStoreOptions, resolveRedisOptions } from './redis-store-base.js';
import { type ConnectionSettings, reconnectStrategy } from './redis-transport.js';

/**
 * How a {@link RedisClusterStore} reaches its cluster: seed nodes (the store owns the client) or a cluster
 * client of yours (`connected` says whether you already awaited its `connect()`).
 */
export type RedisClusterStoreConnection =
  | { rootNodes: ReadonlyArray<{ url: string }> }
  | { client: RedisClusterLike; connected?: boolean };

/**
 * A `Store` over a Redis Cluster (node-redis v5+ cluster client).
 *
 * Same semantics and errors as `RedisStore`, plus: multi-key commands (MGET, UNLINK) are split per hash
 * slot, `clear` and `scan` run SCAN on every master, and the lock keeps its lock and fence keys in the
 * value key's slot (a `{tag}` chosen for that slot) so its scripts stay atomic. With `{ rootNodes }` the
 * store discovers the topology (retrying until it works) with fail-fast node connections; with
 * `{ client }` it borrows yours. After a failover or a resharding the slot map is refreshed on a
 * connection error, `MOVED` or `CLUSTERDOWN` (bounded: one refresh in flight, one per 100 ms).
 *
 * @example
 * const store = new RedisClusterStore({ rootNodes: [{ url: 'redis://10.0.0.1:7000' }] });
 */
export class RedisClusterStore extends RedisStoreBase {
  readonly #transport: ClusterTransport;
  readonly #prefix: string;

  constructor(connection: RedisClusterStoreConnection, options: RedisStoreOptions = {}) {
    const resolved = resolveRedisOptions(options);
    let made: ClusterTransport | undefined;
    super(resolved, 'redis-cluster', (settings, onError, onReady) => {
      made = makeTransport(connection, settings, onError, onReady);
      return made;
    });
    this.#transport = made!;
    this.#prefix = resolved.prefix;
  }

  /**
   * The `host:port` of the master serving `key`'s slot in the client's slot map (`undefined` before the
   * topology is known), so the `Cache` keeps one circuit breaker per master.
   */
  nodeFor(key: string): string | undefined {
    if (typeof key !== 'string') return undefined;
    return this.#transport.nodeFor(this.#prefix === '' ? key : this.#prefix + key);
  }

  /** The `host:port` of every master in the client's slot map: the servers {@link nodeFor} can name. */
  nodes(): string[] {
    return this.#transport.nodes();
  }
}

/** The transport of `connection`: over your cluster client, or over one the store creates and owns. */
function makeTransport(
  connection: RedisClusterStoreConnection,
  settings: ConnectionSettings,
  onError: (err: unknown) => void,
  onReady: (node: string) => void,
): ClusterTransport {
  if (typeof connection !== 'object' || connection === null) {
    throw new InvalidOptionError(`Expected \`{ rootNodes }\` or \`{ client }\`, got ${describe(connection)}`);
  }
  if ('client' in connection) {
    return new ClusterTransport(connection.client, false, connection.connected === true, settings, {
      onError,
      onReady,
    });
  }
  if (!Array.isArray(connection.rootNodes) || connection.rootNodes.length === 0) {
    throw new InvalidOptionError(
      `Expected \`rootNodes\` to be a non-empty array of { url }, got ${describe(connection.rootNodes)}`,
    );
  }
  const cluster = createCluster({
    rootNodes: connection.rootNodes.map((n) => ({ url: n.url })),
    // The store bounds every command itself; skip node-redis's own default timer per command.
    commandOptions: { timeout: 0 },
    defaults: {
      disableOfflineQueue: true,
      socket: {
        connectTimeout: settings.connectTimeoutMs,
        reconnectStrategy: reconnectStrategy(settings.maxReconnectDelayMs),
      },
    },
  }) as unknown as RedisClusterLike;
  return new ClusterTransport(cluster, true, false, settings, { onError, onReady });
}
