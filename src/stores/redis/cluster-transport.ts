/**
 * The Redis Cluster transport: node-redis's cluster client behind the stores' {@link RedisTransport}.
 */
import type { RedisArgument } from '@redis/client';
import { StoreError } from '../../errors.js';
import { type ClusterTopologyLike, SlotMapRefresh } from './cluster-refresh.js';
import { keySlot } from './cluster-slot.js';
import {
  type CommandOptionsLike,
  type ConnectionSettings,
  isServerReply,
  type NodeSender,
  type RedisClientLike,
  type RedisTransport,
  reconnectStrategy,
} from './redis-transport.js';

type Listener = (...args: unknown[]) => void;

/** The parts of a node-redis v5+ cluster client (`createCluster()`) the stores use. */
export interface RedisClusterLike extends ClusterTopologyLike {
  connect(): Promise<unknown>;
  sendCommand(
    firstKey: RedisArgument | undefined,
    isReadonly: boolean | undefined,
    args: readonly RedisArgument[],
    options?: CommandOptionsLike,
  ): Promise<unknown>;
  nodeClient(node: never): Promise<RedisClientLike>;
  close(): Promise<void>;
  destroy(): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** Failures after which the slot map may be stale: anything but a reply, and replies of a moved or broken map. */
function staleMapSign(err: unknown): boolean {
  return !isServerReply(err) || /^(MOVED|CLUSTERDOWN)\b/.test((err as Error).message);
}

/**
 * A Redis Cluster client, owned or borrowed; commands are routed by the slot of their first key, and the
 * slot map is refreshed (bounded, see {@link SlotMapRefresh}) when a node's connection breaks or a command
 * fails in a way that says the map may be stale.
 */
export class ClusterTransport implements RedisTransport {
  readonly clustered = true;
  readonly redialSubscribers = true;
  readonly recycles = 0;
  firstReady: Promise<void> | undefined;
  readonly #cluster: RedisClusterLike;
  readonly #owned: boolean;
  readonly #settings: ConnectionSettings;
  readonly #onError: (err: unknown) => void;
  readonly #errorListener: Listener;
  readonly #refresh: SlotMapRefresh;
  readonly #refreshListener: Listener;
  readonly #readyListener: Listener;
  readonly #failed = (err: unknown): never => {
    if (staleMapSign(err)) this.#refresh.request();
    throw err;
  };
  #retry: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    cluster: RedisClusterLike,
    owned: boolean,
    connected: boolean,
    settings: ConnectionSettings,
    signals: {
      onError: (err: unknown) => void;
      /** A node's connection became ready: `host:port`, as the slot map names masters. */
      onReady: (node: string) => void;
    },
  ) {
    const { onError, onReady } = signals;
    this.#cluster = cluster;
    this.#owned = owned;
    this.#settings = settings;
    this.#onError = onError;
    this.#errorListener = (err: unknown) => onError(err);
    cluster.on('error', this.#errorListener);
    this.#refresh = new SlotMapRefresh(
      cluster,
      { minIntervalMs: 100, timeoutMs: settings.connectTimeoutMs },
      this.#errorListener,
    );
    this.#refreshListener = () => this.#refresh.request();
    cluster.on('node-reconnecting', this.#refreshListener);
    this.#readyListener = (info: unknown) => {
      const { host, port } = (info ?? {}) as { host?: unknown; port?: unknown };
      if (typeof host === 'string' && typeof port === 'number') onReady(`${host}:${port}`);
    };
    cluster.on('node-ready', this.#readyListener);
    this.firstReady = connected ? undefined : new Promise<void>((resolve) => this.#connect(resolve, 0));
  }

  /** Discovers the topology, retrying with capped backoff until it works or the store closes. */
  #connect(resolve: () => void, attempt: number): void {
    this.#cluster.connect().then(
      () => {
        this.firstReady = undefined;
        resolve();
      },
      (err: unknown) => {
        if (this.#closed) return;
        this.#onError(err);
        this.#retry = setTimeout(
          () => this.#connect(resolve, attempt + 1),
          reconnectStrategy(this.#settings.maxReconnectDelayMs)(attempt),
        );
        this.#retry.unref();
      },
    );
  }

  send(
    key: RedisArgument | undefined,
    readonly: boolean,
    args: readonly RedisArgument[],
    options?: CommandOptionsLike,
  ): Promise<unknown> {
    return this.#cluster.sendCommand(key, readonly, args, options).catch(this.#failed);
  }

  /** The address of the master serving `key`'s slot in the client's current slot map, if known. */
  nodeFor(key: string): string | undefined {
    return this.#cluster.slots?.[keySlot(key)]?.master.address;
  }

  /** The `host:port` of every master in the client's current slot map. */
  nodes(): string[] {
    return this.#cluster.masters.map((m) => m.address ?? `${m.host}:${m.port}`);
  }

  async masters(): Promise<NodeSender[]> {
    const clients = await Promise.all(this.#cluster.masters.map((m) => this.#cluster.nodeClient(m as never)));
    return clients.map((c) => (args, options) => c.sendCommand(args, options));
  }

  async subscriber(attempt: number): Promise<RedisClientLike> {
    const masters = this.#cluster.masters;
    if (masters.length === 0) throw new StoreError('Redis Cluster has no known master');
    const node = masters[attempt % masters.length]!;
    return (await this.#cluster.nodeClient(node as never)).duplicate();
  }

  recycle(): void {
    // Node connections of a cluster reconnect by themselves; a blackholed node is bounded by the
    // per-command timeout (the cluster client offers no way to drop one node's socket), and each timeout
    // re-reads the slot map (`commandTimedOut`), which routes its slots away once a replica took over.
  }

  commandTimedOut(): void {
    this.#refresh.request();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#refresh.close();
    this.#cluster.off('node-reconnecting', this.#refreshListener);
    this.#cluster.off('node-ready', this.#readyListener);
    if (!this.#owned) {
      this.#cluster.off('error', this.#errorListener);
      return;
    }
    try {
      await this.#cluster.close();
    } catch {
      this.#cluster.destroy();
    }
  }
}
