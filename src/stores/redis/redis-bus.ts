import { StoreError } from '../../errors.js';
import { type Bus, type BusMessage, decodeBusMessage } from '../bus.js';
import type { RedisRunner } from './redis-runner.js';
import { RedisSubscription } from './redis-subscription.js';

/** Counters of a {@link RedisBus}. */
export interface RedisBusStats {
  /** Well-formed messages delivered to the subscriber. */
  received: number;
  /** Messages on the channel that were not well-formed version-1 bus messages (ignored). */
  ignored: number;
  /** Re-subscriptions after a lost connection (each one called `onReset`). */
  resets: number;
}

/**
 * The invalidation bus over Redis pub/sub (`store.createBus(channel)`), on a dedicated subscriber
 * connection duplicated from the store's client.
 *
 * Messages are the JSON wire format of {@link BusMessage}, published on `<store prefix><channel>`; anything
 * else on the channel is ignored and counted. Delivery is **at-most-once**: after the subscriber connection
 * is lost and re-subscribed, `onReset` is called (the `Cache` then purges its L1). Every message is
 * delivered, the instance's own included — filtering by `from` is the caller's job. On a Redis Cluster the
 * bus uses an ordinary channel (PUBLISH is broadcast to every node; sharded pub/sub would pin the one
 * channel to one shard anyway) and the subscriber moves to another master when its node stays down.
 */
export class RedisBus implements Bus {
  readonly #runner: RedisRunner;
  readonly #channel: string;
  readonly #stats: RedisBusStats = { received: 0, ignored: 0, resets: 0 };
  #subscription: RedisSubscription | undefined;
  #closed = false;

  constructor(runner: RedisRunner, channel: string) {
    this.#runner = runner;
    this.#channel = channel;
  }

  /** The channel messages are published on (store prefix included). */
  get channel(): string {
    return this.#channel;
  }

  /** Message counters (a snapshot). */
  get stats(): RedisBusStats {
    return { ...this.#stats };
  }

  async publish(message: BusMessage): Promise<void> {
    if (this.#closed) throw new StoreError(`bus \`${this.#channel}\` is closed`);
    await this.#runner.command('publish', this.#channel, ['PUBLISH', this.#channel, JSON.stringify(message)]);
  }

  async subscribe(onMessage: (message: BusMessage) => void, onReset: () => void): Promise<void> {
    if (this.#closed) throw new StoreError(`bus \`${this.#channel}\` is closed`);
    if (this.#subscription !== undefined)
      throw new StoreError(`bus \`${this.#channel}\` is already subscribed`);
    this.#subscription = new RedisSubscription(
      this.#runner,
      this.#channel,
      (raw) => {
        const message = decodeBusMessage(raw);
        if (message === undefined) {
          this.#stats.ignored++;
          return;
        }
        this.#stats.received++;
        try {
          onMessage(message);
        } catch (err) {
          this.#runner.reportError(err);
        }
      },
      () => {
        this.#stats.resets++;
        onReset();
      },
    );
    await this.#subscription.start();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#subscription?.close();
  }
}
