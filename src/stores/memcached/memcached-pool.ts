import { ClosedError, StoreError } from '../../errors.js';
import { type ConnectionOptions, MemcachedConnection } from './memcached-connection.js';

/** How the pool reaches its server and how it waits after a failed connect. */
export interface PoolOptions extends ConnectionOptions {
  /** Connections kept open; requests are spread over them round-robin. */
  size: number;
  /** First wait after a refused or timed-out connect (ms); doubles up to `maxReconnectDelayMs`. */
  reconnectDelayMs: number;
  maxReconnectDelayMs: number;
}

/**
 * The connections of a `MemcachedClient` to one server, opened on first use and replaced when they die.
 *
 * After a connect fails the server is **down**: a request that needs a new connection fails fast with a
 * `StoreError` (nothing queues behind a dead server) while the pool redials in the background, first after
 * `reconnectDelayMs`, doubling up to `maxReconnectDelayMs`, ±25 % jitter so that a fleet does not dial
 * in step. The first connection that succeeds ends the outage and calls the `onReady` listeners, so a
 * `Cache` probes its circuit breaker at once instead of on its reset grid. The redial timer is unref'd
 * and stops at `close()`: a pool never keeps a process alive.
 */
export class MemcachedPool {
  readonly #options: PoolOptions;
  readonly #address: string;
  readonly #conns: Array<MemcachedConnection | undefined>;
  readonly #listeners = new Set<() => void>();
  #next = 0;
  // True while the last connect failed and none has succeeded since.
  #down = false;
  #delay: number;
  #redial: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: PoolOptions) {
    this.#options = options;
    this.#address = `${options.host}:${options.port}`;
    this.#conns = new Array<MemcachedConnection | undefined>(options.size).fill(undefined);
    this.#delay = options.reconnectDelayMs;
  }

  /** A usable connection (opened if needed); throws at once while the server is down or after close. */
  pick(): MemcachedConnection {
    if (this.#closed) throw new ClosedError(`memcached client ${this.#address}`);
    const i = this.#next;
    this.#next = (i + 1) % this.#conns.length;
    const conn = this.#conns[i];
    if (conn?.usable) return conn;
    if (this.#down) {
      throw new StoreError(`memcached ${this.#address} is unreachable; reconnecting in the background`);
    }
    return this.#dial(i);
  }

  /** Calls `listener` each time the server is reachable again after a failed connect; returns the unsubscribe. */
  onReady(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops redialling and closes every connection after its pending requests (bounded by `timeoutMs`). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#redial);
    this.#redial = undefined;
    this.#listeners.clear();
    await Promise.all(this.#conns.map((conn) => conn?.close()));
  }

  #dial(i: number): MemcachedConnection {
    const conn = new MemcachedConnection(
      this.#options,
      (dead, everConnected) => {
        if (this.#conns[i] === dead) this.#conns[i] = undefined;
        if (!everConnected && !this.#closed) this.#failed();
      },
      () => this.#connected(),
    );
    this.#conns[i] = conn;
    return conn;
  }

  #failed(): void {
    this.#down = true;
    if (this.#redial !== undefined) return;
    const wait = this.#delay * (0.75 + Math.random() / 2);
    this.#delay = Math.min(this.#delay * 2, this.#options.maxReconnectDelayMs);
    this.#redial = setTimeout(() => {
      this.#redial = undefined;
      if (this.#closed || !this.#down) return;
      // A connection still connecting will end the outage or fail and schedule the next attempt itself.
      const i = this.#conns.findIndex((conn) => conn === undefined || !conn.usable);
      if (i !== -1) this.#dial(i);
    }, wait);
    this.#redial.unref?.();
  }

  #connected(): void {
    this.#delay = this.#options.reconnectDelayMs;
    if (!this.#down || this.#closed) return;
    this.#down = false;
    for (const listener of [...this.#listeners]) listener();
  }
}
