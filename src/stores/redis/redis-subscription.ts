import { StoreError } from '../../errors.js';
import type { RedisRunner } from './redis-runner.js';
import type { RedisClientLike } from './redis-transport.js';

/** Connection errors in a row after which a cluster or Sentinel subscriber is re-dialled (next or current master). */
const ROTATE_AFTER_ERRORS = 3;

/**
 * One channel subscribed on a dedicated connection (a subscribed connection sends no other commands than PING).
 *
 * node-redis re-subscribes by itself when the connection comes back; this class turns every such recovery
 * into an `onReset` call, because messages published during the cut are lost (pub/sub is at-most-once).
 * On a cluster the channel is an ordinary (not sharded) channel: PUBLISH is broadcast to every node, so one
 * subscriber on any master hears it; after repeated connection errors it moves to the next master. Behind
 * Sentinel it is re-dialled at the current master after repeated connection errors (a failover).
 * A subscribed connection only receives, so a half-open one would go unnoticed: it is PINGed every
 * `subscriberPingMs` and replaced (then `onReset` fires) when no PONG comes back within the connect timeout.
 */
export class RedisSubscription {
  readonly #runner: RedisRunner;
  readonly #channel: string;
  readonly #onMessage: (message: string) => void;
  readonly #onReset: () => void;
  #client: RedisClientLike | undefined;
  #started: Promise<void> | undefined;
  #resolveStarted: (() => void) | undefined;
  #attempt = 0;
  #needsReset = false;
  #retry: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    runner: RedisRunner,
    channel: string,
    onMessage: (message: string) => void,
    onReset: () => void,
  ) {
    this.#runner = runner;
    this.#channel = channel;
    this.#onMessage = onMessage;
    this.#onReset = onReset;
  }

  /** True while the channel is subscribed on a ready connection. */
  get active(): boolean {
    return this.#resolveStarted === undefined && this.#client?.isReady === true;
  }

  /**
   * Starts the subscription (idempotent) and resolves once it is active. Rejects with a `StoreError` after
   * the connect timeout, but keeps trying in the background; a later success then calls `onReset`.
   */
  start(): Promise<void> {
    if (this.#closed) return Promise.reject(new StoreError('subscription is closed'));
    if (this.#started === undefined) {
      this.#started = new Promise<void>((resolve) => {
        this.#resolveStarted = resolve;
      });
      this.#dial();
    }
    const timeoutMs = this.#runner.connectTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#needsReset = true;
        reject(new StoreError(`Redis subscription to \`${this.#channel}\` not ready within ${timeoutMs} ms`));
      }, timeoutMs);
      void this.#started?.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #dial(): void {
    if (this.#closed) return;
    const attempt = this.#attempt++;
    this.#runner.subscriber(attempt).then(
      (client) => this.#use(client),
      (err: unknown) => {
        this.#runner.reportError(err);
        this.#later(() => this.#dial());
      },
    );
  }

  #later(fn: () => void): void {
    if (this.#closed) return;
    this.#retry = setTimeout(fn, Math.min(50 * this.#attempt, 500));
    this.#retry.unref();
  }

  #use(client: RedisClientLike): void {
    if (this.#closed) {
      client.destroy();
      return;
    }
    this.#client = client;
    let subscribed = false;
    let errors = 0;
    client.on('error', (err: unknown) => {
      if (this.#client !== client) return;
      this.#runner.reportError(err);
      if (!client.isReady && this.#runner.redialSubscribers && ++errors >= ROTATE_AFTER_ERRORS)
        this.#replace(client);
    });
    client.on('ready', () => {
      errors = 0;
      // node-redis re-sent SUBSCRIBE during this reconnection's handshake: the channel is live again.
      if (subscribed && this.#client === client) this.#reset();
    });
    // A handshake through a half-open network never finishes: bounded like every other wait.
    const timeoutMs = this.#runner.connectTimeoutMs;
    this.#watchdog = setTimeout(
      () => this.#fail(client, new StoreError(`Redis subscriber not subscribed within ${timeoutMs} ms`)),
      timeoutMs,
    );
    this.#watchdog.unref();
    client
      .connect()
      .then(() => client.subscribe(this.#channel, (message) => this.#onMessage(message)))
      .then(
        () => {
          if (this.#client !== client) return;
          subscribed = true;
          this.#schedulePing(client, false);
          if (this.#needsReset) this.#reset();
          this.#resolveStarted?.();
          this.#resolveStarted = undefined;
        },
        (err: unknown) => this.#fail(client, err),
      );
  }

  /**
   * PINGs `client` after the ping interval, bounded by the connect timeout, and again after each PONG. A
   * client that node-redis is reconnecting is left alone for one interval; still not ready at the next
   * one, it is replaced like a client that did not answer.
   */
  #schedulePing(client: RedisClientLike, wasDown: boolean): void {
    clearTimeout(this.#watchdog);
    const intervalMs = this.#runner.subscriberPingMs;
    if (intervalMs === 0 || this.#closed) return;
    this.#watchdog = setTimeout(() => {
      if (!client.isReady) {
        if (wasDown) this.#fail(client, new StoreError('Redis subscriber did not reconnect'));
        else this.#schedulePing(client, true);
        return;
      }
      const timeoutMs = this.#runner.connectTimeoutMs;
      let expiry: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        expiry = setTimeout(
          () => reject(new StoreError(`Redis subscriber did not answer PING within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      Promise.race([client.sendCommand(['PING']), expired]).then(
        () => {
          clearTimeout(expiry);
          if (this.#client === client) this.#schedulePing(client, false);
        },
        (err: unknown) => {
          clearTimeout(expiry);
          // A socket error (reported by the `error` event) made node-redis reconnect by itself.
          if (this.#client === client && !client.isReady) this.#schedulePing(client, true);
          else this.#fail(client, err);
        },
      );
    }, intervalMs);
    this.#watchdog.unref();
  }

  /** Reports `err` and replaces `client`, unless it was replaced meanwhile or the subscription closed. */
  #fail(client: RedisClientLike, err: unknown): void {
    if (this.#client !== client || this.#closed) return;
    this.#runner.reportError(err);
    this.#replace(client);
  }

  #reset(): void {
    this.#needsReset = false;
    try {
      this.#onReset();
    } catch (err) {
      this.#runner.reportError(err);
    }
  }

  /** Drops `client` and dials a new subscriber (the next master on a cluster). */
  #replace(client: RedisClientLike): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#needsReset = true;
    clearTimeout(this.#watchdog);
    client.destroy();
    this.#later(() => this.#dial());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retry);
    clearTimeout(this.#watchdog);
    const client = this.#client;
    this.#client = undefined;
    client?.destroy();
  }
}
