/**
 * A {@link RedisTransport} over a borrowed ioredis client (duck-typed: ioredis is never imported), so a
 * team that already holds one can hand it to `new RedisStore({ client })`.
 */
import type { RedisArgument } from '@redis/client';
import { InvalidOptionError } from '../../errors.js';
import type { NodeSender, RedisClientLike, RedisTransport } from './redis-transport.js';

type Listener = (...args: unknown[]) => void;

/** The parts of an ioredis v5 client (`new Redis()`) the store uses. */
export interface IoredisLike {
  /** `wait` (lazyConnect), `connecting`, `connect`, `ready`, `reconnecting`, `close`, `end`. */
  readonly status: string;
  connect(): Promise<void>;
  call(command: string, ...args: RedisArgument[]): Promise<unknown>;
  callBuffer(command: string, ...args: RedisArgument[]): Promise<unknown>;
  duplicate(override?: { lazyConnect?: boolean }): IoredisLike;
  subscribe(channel: string): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
}

/** True for something shaped like an ioredis client; an ioredis Cluster is refused with a message. */
export function isIoredisClient(value: unknown): value is IoredisLike {
  const c = value as (Partial<IoredisLike> & { isCluster?: unknown }) | null;
  if (typeof c !== 'object' || c === null || typeof c.status !== 'string') return false;
  if (typeof c.callBuffer !== 'function' || typeof c.duplicate !== 'function') return false;
  if (c.isCluster === true) {
    throw new InvalidOptionError(
      'Expected `client` to be a standalone ioredis client, got an ioredis Cluster; ' +
        'use RedisClusterStore with a node-redis cluster (createCluster() from @redis/client)',
    );
  }
  return true;
}

/**
 * A borrowed ioredis connection: commands go through `callBuffer` when the store wants bytes (`call`
 * otherwise, whose replies are strings as node-redis's are), errors pass to the store unchanged (its
 * mapping knows ioredis's `ReplyError`), and `close()` leaves the client open. Subscriber connections are
 * `duplicate()`s the store owns. ioredis reconnects by itself; the store never drops a borrowed
 * connection, so `recycle` does nothing.
 */
export class IoredisTransport implements RedisTransport {
  readonly clustered = false;
  readonly redialSubscribers = false;
  readonly recycles = 0;
  firstReady: Promise<void> | undefined;
  readonly #client: IoredisLike;
  readonly #listeners: Array<[string, Listener]> = [];
  #closed = false;

  constructor(client: IoredisLike, onError: (err: unknown) => void) {
    this.#client = client;
    this.#on('error', (err) => onError(err));
    this.firstReady =
      client.status === 'ready'
        ? undefined
        : new Promise<void>((resolve) => {
            this.#on('ready', () => {
              this.firstReady = undefined;
              resolve();
            });
          });
    if (client.status === 'wait') {
      client.connect().catch((err: unknown) => {
        if (!this.#closed) onError(err);
      });
    }
  }

  #on(event: string, listener: Listener): void {
    this.#client.on(event, listener);
    this.#listeners.push([event, listener]);
  }

  send(
    _key: RedisArgument | undefined,
    _readonly: boolean,
    args: readonly RedisArgument[],
    options?: { typeMapping?: Record<number, unknown> },
  ): Promise<unknown> {
    return sendTo(this.#client, args, options?.typeMapping !== undefined);
  }

  async masters(): Promise<NodeSender[]> {
    return [(args, options) => sendTo(this.#client, args, options?.typeMapping !== undefined)];
  }

  async subscriber(): Promise<RedisClientLike> {
    return new IoredisSubscriber(this.#client.duplicate({ lazyConnect: true }));
  }

  recycle(): void {}

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const [event, listener] of this.#listeners) this.#client.off(event, listener);
  }
}

function sendTo(client: IoredisLike, args: readonly RedisArgument[], buffers: boolean): Promise<unknown> {
  const [command, ...rest] = args;
  const name = String(command);
  return buffers ? client.callBuffer(name, ...rest) : client.call(name, ...rest);
}

/** An ioredis subscriber connection in the node-redis shape the store's subscription drives. */
class IoredisSubscriber implements RedisClientLike {
  readonly #r: IoredisLike;

  constructor(r: IoredisLike) {
    this.#r = r;
  }

  get isOpen(): boolean {
    const s = this.#r.status;
    return s !== 'wait' && s !== 'end' && s !== 'close';
  }

  get isReady(): boolean {
    return this.#r.status === 'ready';
  }

  connect(): Promise<void> {
    return this.#r.connect();
  }

  sendCommand(args: readonly RedisArgument[]): Promise<unknown> {
    return sendTo(this.#r, args, false);
  }

  duplicate(): RedisClientLike {
    return new IoredisSubscriber(this.#r.duplicate({ lazyConnect: true }));
  }

  async subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<void> {
    this.#r.on('message', (ch: unknown, message: unknown) => {
      if (ch === channel) listener(String(message), channel);
    });
    await this.#r.subscribe(channel);
  }

  async close(): Promise<void> {
    await this.#r.quit();
  }

  destroy(): void {
    this.#r.disconnect();
  }

  on(event: string, listener: Listener): unknown {
    return this.#r.on(event, listener);
  }

  off(event: string, listener: Listener): unknown {
    return this.#r.off(event, listener);
  }
}
