import type { RedisArgument } from '@redis/client';
import { StoreError } from '../../errors.js';
import { failFastClient } from './redis-store.js';
import {
  ClientTransport,
  type ConnectionSettings,
  isServerReply,
  type NodeSender,
  type RedisClientLike,
  type RedisTransport,
} from './redis-transport.js';
import { type RedisNodeAddress, SentinelDiscovery } from './sentinel-discovery.js';

type CommandOptions = Parameters<RedisTransport['send']>[3];

/**
 * The master of a Sentinel-monitored set: one owned, fail-fast client dialled at the address the sentinels
 * name, re-dialled at the new address when they name another one.
 *
 * Failover signals (a connection error of the master client, a `READONLY` reply from a demoted master
 * ({@link failover}), a stalled connection) ask the discovery for the current master; `+switch-master` tells it directly. A new
 * address goes through the same recycle path as a stalled connection: commands queued on the old client
 * reject, the next ones go to the new master. Subscribers are dialled at the current master, and
 * re-dialled through `subscriber()` after repeated connection errors, so the bus and the lock follow.
 */
export class SentinelTransport implements RedisTransport {
  readonly clustered = false;
  readonly redialSubscribers = true;
  firstReady: Promise<void> | undefined;
  readonly #settings: ConnectionSettings;
  readonly #onError: (err: unknown) => void;
  readonly #onReady: () => void;
  readonly #discovery: SentinelDiscovery;
  #master: RedisNodeAddress | undefined;
  #inner: ClientTransport | undefined;
  #resolveFirst: (() => void) | undefined;
  #closed = false;

  constructor(
    sentinels: readonly RedisNodeAddress[],
    name: string,
    settings: ConnectionSettings,
    onError: (err: unknown) => void,
    onReady: () => void,
  ) {
    this.#settings = settings;
    this.#onError = onError;
    this.#onReady = onReady;
    this.firstReady = new Promise<void>((resolve) => {
      this.#resolveFirst = resolve;
    });
    this.#discovery = new SentinelDiscovery(
      sentinels,
      name,
      settings,
      (master) => this.#use(master),
      onError,
    );
  }

  get recycles(): number {
    return this.#inner?.recycles ?? 0;
  }

  #use(master: RedisNodeAddress): void {
    if (this.#closed) return;
    const known = this.#master;
    if (known !== undefined && known.host === master.host && known.port === master.port) return;
    this.#master = master;
    if (this.#inner !== undefined) {
      this.#inner.recycle();
      return;
    }
    this.#inner = new ClientTransport(
      failFastClient(this.#settings, master),
      true,
      this.#settings,
      (err) => this.#connectionError(err),
      { redial: () => failFastClient(this.#settings, this.#master ?? master), onReady: this.#onReady },
    );
    const ready = this.#inner.firstReady;
    if (ready === undefined) this.#ready();
    else void ready.then(() => this.#ready());
  }

  #ready(): void {
    this.firstReady = undefined;
    this.#resolveFirst?.();
    this.#resolveFirst = undefined;
  }

  #connectionError(err: unknown): void {
    this.#onError(err);
    if (!isServerReply(err)) this.#discovery.request();
  }

  #current(): ClientTransport {
    if (this.#inner === undefined || this.#closed)
      throw new StoreError('Redis Sentinel: no master discovered yet');
    return this.#inner;
  }

  send(
    key: RedisArgument | undefined,
    readonly: boolean,
    args: readonly RedisArgument[],
    options?: CommandOptions,
  ): Promise<unknown> {
    return this.#current().send(key, readonly, args, options);
  }

  async masters(): Promise<NodeSender[]> {
    return this.#current().masters();
  }

  async subscriber(): Promise<RedisClientLike> {
    return this.#current().subscriber();
  }

  recycle(): void {
    this.#discovery.request();
    this.#inner?.recycle();
  }

  /** A demoted master answers writes with READONLY: ask the sentinels for the new one. */
  failover(): void {
    this.#discovery.request();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#discovery.close();
    this.#resolveFirst = undefined;
    await this.#inner?.close();
  }
}
