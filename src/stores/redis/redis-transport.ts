/**
 * The connection layer shared by the Redis stores: one interface over a standalone node-redis client and a
 * Redis Cluster client, fail-fast client settings, and the mapping of client errors to {@link StoreError}.
 */
import { ErrorReply, RESP_TYPES, type RedisArgument } from '@redis/client';
import { isCacheError, StoreError, StoreReplyError } from '../../errors.js';
import { RequestGate } from './request-gate.js';

/** The node-redis command options the stores pass (a subset of `CommandOptions`). */
export interface CommandOptionsLike {
  typeMapping?: Record<number, unknown>;
}

/** The parts of a node-redis v5+ standalone client (`createClient()`) the stores use. */
export interface RedisClientLike {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  sendCommand(args: readonly RedisArgument[], options?: CommandOptionsLike): Promise<unknown>;
  duplicate(): RedisClientLike;
  subscribe(channels: string, listener: (message: string, channel: string) => void): Promise<void>;
  close(): Promise<void>;
  destroy(): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** Replies of blob strings as Buffers (values are bytes, never decoded as UTF-8). */
export const BUFFERS: CommandOptionsLike = Object.freeze({
  typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer },
});

/** Sends a command to the master of one slot, or to one master. */
export type NodeSender = (args: readonly RedisArgument[], options?: CommandOptionsLike) => Promise<unknown>;

/**
 * What the stores need from a connection: send a command (routed by key on a cluster), reach every
 * master (SCAN), make subscriber connections, and replace a connection that stopped answering.
 */
export interface RedisTransport {
  /** True for a Redis Cluster: multi-key commands must stay within one slot. */
  readonly clustered: boolean;
  /**
   * True when a subscriber that keeps failing to reconnect should be dropped and re-dialled through
   * `subscriber()` (the next master of a cluster, the current master behind Sentinel) instead of retrying
   * its own address.
   */
  readonly redialSubscribers: boolean;
  /** Pending while the first connection is being made; `undefined` once it was ready once. */
  readonly firstReady: Promise<void> | undefined;
  send(
    key: RedisArgument | undefined,
    readonly: boolean,
    args: readonly RedisArgument[],
    options?: CommandOptionsLike,
  ): Promise<unknown>;
  /** One sender per master node. */
  masters(): Promise<NodeSender[]>;
  /** A new, unconnected connection for SUBSCRIBE; `attempt` rotates cluster nodes. */
  subscriber(attempt: number): Promise<RedisClientLike>;
  /** Connections dropped and re-dialled so far (always 0 where `recycle` cannot drop one). */
  readonly recycles: number;
  /** Drops a connection that stopped answering and dials a new one (only for clients the store created). */
  recycle(): void;
  /**
   * Optional: a command on the current connection got a `READONLY` reply: the endpoint now reaches a
   * replica (a failover happened behind it). The transport finds the master again, bounded by a
   * {@link RequestGate}.
   */
  failover?(): void;
  /**
   * Optional: a command hit the command timeout. A Cluster transport re-reads its slot map (bounded): a
   * master that stopped answering without closing its connections (paused, blackholed) never causes a
   * connection error or a `MOVED`, so without this its slots would stay routed to it after a failover.
   */
  commandTimedOut?(): void;
  close(): Promise<void>;
}

/** Failover signals come in bursts (every command in flight gets one): act at most once per this many ms. */
export const FAILOVER_INTERVAL_MS = 100;

/** True for a `READONLY` error reply: a write reached a replica (a demoted master). */
export function isReadOnlyReply(err: unknown): boolean {
  return isServerReply(err) && (err as Error).message.startsWith('READONLY');
}

/** Fail-fast settings for connections the stores create. */
export interface ConnectionSettings {
  connectTimeoutMs: number;
  maxReconnectDelayMs: number;
}

/** The first reconnect attempt waits about this long; each next one twice as long, up to the cap. */
const FIRST_RECONNECT_DELAY_MS = 5;

/**
 * A reconnect strategy with capped exponential backoff (5 ms doubling, ±25 % jitter) that never gives up:
 * a store outlives any outage of its server, and finds a quickly restarted one within milliseconds.
 */
export function reconnectStrategy(maxDelayMs: number): (retries: number) => number {
  return (retries) =>
    Math.round(Math.min(FIRST_RECONNECT_DELAY_MS * 2 ** retries, maxDelayMs) * (0.75 + Math.random() * 0.5));
}

/** Wraps anything a client throws into a {@link StoreError} (cache errors pass through unchanged). */
export function toStoreError(err: unknown, what: string): StoreError {
  if (isCacheError(err) && err instanceof StoreError) return err;
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  if (isServerReply(err) && !UNAVAILABLE.test((err as Error).message))
    return new StoreReplyError(`${what} failed: ${message}`, err);
  return new StoreError(`${what} failed: ${message}`, { cause: err });
}

/** Error replies that mean the server cannot serve now (a failover, a load, a broken cluster), not a bad command. */
const UNAVAILABLE = /^(READONLY|LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|NOREPLICAS|MISCONF)\b/;

/** True for an error reply of the server (the connection itself is healthy). */
export function isServerReply(err: unknown): boolean {
  if (err instanceof ErrorReply) return true;
  // node-redis leaves `name` at 'Error'; the class names survive a second copy of @redis/client.
  // ioredis replies with a `ReplyError` (from redis-errors).
  const kind = err instanceof Error ? err.constructor.name : '';
  return kind === 'SimpleError' || kind === 'BlobError' || kind === 'ErrorReply' || kind === 'ReplyError';
}

type Listener = (...args: unknown[]) => void;

/**
 * Watches a client: counts and reports its `error` events (so none crashes the process), and, for a client
 * the store owns, drops a connection whose handshake does not finish within the connect timeout (a
 * half-open socket would otherwise wait forever).
 */
class ClientWatch {
  readonly #client: RedisClientLike;
  readonly #listeners: Array<[string, Listener]> = [];
  #handshake: NodeJS.Timeout | undefined;

  constructor(
    client: RedisClientLike,
    onError: (err: unknown) => void,
    onReady: () => void,
    handshakeTimeout?: { ms: number; expired: () => void },
  ) {
    this.#client = client;
    this.#on('error', (err: unknown) => onError(err));
    this.#on('ready', () => {
      clearTimeout(this.#handshake);
      onReady();
    });
    if (handshakeTimeout !== undefined) {
      this.#on('connect', () => {
        clearTimeout(this.#handshake);
        this.#handshake = setTimeout(handshakeTimeout.expired, handshakeTimeout.ms);
        this.#handshake.unref();
      });
    }
  }

  #on(event: string, listener: Listener): void {
    this.#client.on(event, listener);
    this.#listeners.push([event, listener]);
  }

  /** Removes the listeners; an `error` sink stays so a late error of a dropped client is never fatal. */
  stop(keepErrorSink: boolean): void {
    clearTimeout(this.#handshake);
    for (const [event, listener] of this.#listeners) this.#client.off(event, listener);
    if (keepErrorSink) this.#client.on('error', () => {});
  }
}

/** Optional parts of a {@link ClientTransport}. */
export interface ClientTransportHooks {
  /** Makes the replacement of a dropped client (by default a duplicate of it, same address). */
  redial?: (old: RedisClientLike) => RedisClientLike;
  /** Called each time the client becomes ready (its first connection, and every reconnect). */
  onReady?: () => void;
}

/**
 * A standalone server: one multiplexed client (auto-pipelined), owned or borrowed.
 *
 * An owned client is replaced when the store sees it stop answering, and when its reply stream breaks: an
 * `error` while the client is still ready is a reply node-redis could not parse (its socket errors make it
 * not ready first). node-redis then resets its parser but keeps the socket and the queue of commands
 * waiting for a reply, so every later reply would resolve the command before its own; the client is
 * dropped at once instead, rejecting those commands. A `READONLY` reply ({@link failover}) drops it too: the
 * address (a DNS name, a proxy) now leads to a replica, and only a new connection can reach the master.
 */
export class ClientTransport implements RedisTransport {
  readonly clustered = false;
  readonly redialSubscribers = false;
  firstReady: Promise<void> | undefined;
  recycles = 0;
  #client: RedisClientLike;
  #watch: ClientWatch;
  readonly #owned: boolean;
  readonly #settings: ConnectionSettings;
  readonly #onError: (err: unknown) => void;
  readonly #redial: (old: RedisClientLike) => RedisClientLike;
  readonly #onReady: (() => void) | undefined;
  readonly #failovers = new RequestGate(FAILOVER_INTERVAL_MS, () => this.recycle());
  #resolveReady: (() => void) | undefined;
  #closed = false;

  constructor(
    client: RedisClientLike,
    owned: boolean,
    settings: ConnectionSettings,
    onError: (err: unknown) => void,
    hooks: ClientTransportHooks = {},
  ) {
    this.#client = client;
    this.#owned = owned;
    this.#settings = settings;
    this.#onError = onError;
    this.#redial = hooks.redial ?? ((old) => old.duplicate());
    this.#onReady = hooks.onReady;
    this.firstReady = client.isReady
      ? undefined
      : new Promise<void>((resolve) => {
          this.#resolveReady = resolve;
        });
    this.#watch = this.#watchClient(client);
    if (!client.isOpen) this.#connect(client);
  }

  #watchClient(client: RedisClientLike): ClientWatch {
    return new ClientWatch(
      client,
      (err) => {
        this.#onError(err);
        if (client === this.#client && client.isReady) this.recycle();
      },
      () => {
        this.#resolveReady?.();
        this.#resolveReady = undefined;
        this.firstReady = undefined;
        this.#onReady?.();
      },
      this.#owned
        ? {
            ms: this.#settings.connectTimeoutMs,
            expired: () => {
              this.#onError(new StoreError('Redis handshake did not finish within the connect timeout'));
              this.recycle();
            },
          }
        : undefined,
    );
  }

  #connect(client: RedisClientLike): void {
    client.connect().catch((err: unknown) => {
      if (!this.#closed) this.#onError(err);
    });
  }

  send(
    _key: RedisArgument | undefined,
    _readonly: boolean,
    args: readonly RedisArgument[],
    options?: CommandOptionsLike,
  ): Promise<unknown> {
    return this.#client.sendCommand(args, options);
  }

  async masters(): Promise<NodeSender[]> {
    return [(args, options) => this.#client.sendCommand(args, options)];
  }

  async subscriber(): Promise<RedisClientLike> {
    return this.#client.duplicate();
  }

  failover(): void {
    if (this.#owned) this.#failovers.request();
  }

  recycle(): void {
    if (!this.#owned || this.#closed) return;
    this.recycles++;
    const old = this.#client;
    this.#watch.stop(true);
    this.#client = this.#redial(old);
    this.#watch = this.#watchClient(this.#client);
    this.#connect(this.#client);
    old.destroy();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#failovers.close();
    this.#watch.stop(this.#owned);
    if (!this.#owned) return;
    const client = this.#client;
    if (client.isReady) {
      // close() waits for every pending reply, forever on a stalled connection: bounded, then destroyed.
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#settings.connectTimeoutMs);
      });
      await Promise.race([client.close().catch(() => {}), expired]);
      clearTimeout(timer);
    }
    client.destroy();
  }
}
