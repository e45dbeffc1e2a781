import { ClosedError } from '../errors.js';
import { assertKnownKeys, describe } from '../internal/asserts.js';
import { jsonSerializer } from '../serializer/json.js';
import type { Serializer } from '../serializer/serializer.js';
import {
  assertClient,
  assertKey,
  bounded,
  PatternConnection,
  type PatternConnectionOptions,
  type RedisPatternClient,
  resolveTimeout,
} from './connection.js';
import { assertSerializer, decodeWith, encodeWith } from './serialization.js';

/** Options of {@link RedisPubSub}. */
export interface RedisPubSubOptions extends PatternConnectionOptions {
  /** @default jsonSerializer */
  serializer?: Serializer;
  /**
   * Receives what goes wrong without a caller to reject: a message that cannot be decoded
   * (`DeserializationError`), a handler that threw, an error of the subscriber connection.
   */
  onError?: (err: unknown) => void;
}

/** Counters of a {@link RedisPubSub}. */
export interface PubSubStats {
  /** Messages decoded and handed to the handlers of their channel or pattern. */
  received: number;
  /** Messages skipped because they could not be decoded. */
  garbage: number;
  /** Handler calls that threw or rejected. */
  handlerErrors: number;
}

/** Called with each decoded message; `channel` is the channel it was published on. */
export type MessageHandler<T> = (message: T, channel: string) => void | Promise<void>;

/** Stops one subscription; idempotent. */
export type Unsubscribe = () => Promise<void>;

type Listener = (raw: Buffer, channel: Buffer) => void;

interface Subscriber {
  subscribe(channel: string, listener: Listener, bufferMode: true): Promise<void>;
  unsubscribe(channel: string, listener: Listener, bufferMode: true): Promise<void>;
  pSubscribe(pattern: string, listener: Listener, bufferMode: true): Promise<void>;
  pUnsubscribe(pattern: string, listener: Listener, bufferMode: true): Promise<void>;
  destroy(): void;
}

/** One SUBSCRIBE or PSUBSCRIBE shared by every handler of a channel or pattern. */
interface Route<T> {
  readonly handlers: Set<{ handler: MessageHandler<T> }>;
  readonly listener: Listener;
  readonly ready: Promise<void>;
}

const OPTION_KEYS = ['serializer', 'onError', 'timeout'] as const;

/**
 * Typed publish/subscribe over Redis channels.
 *
 * Publishing uses the client given; subscriptions share one **dedicated subscriber connection**,
 * duplicated from the client on the first `subscribe`, which resubscribes by itself after a reconnect.
 * Delivery is **at-most-once** (Redis pub/sub): messages published while the subscriber is cut off are
 * lost. A message that cannot be decoded is counted in `stats.garbage`, reported to `onError` and skipped;
 * a handler that throws is counted and reported, and other handlers still run.
 *
 * @example
 * ```ts
 * const events = new RedisPubSub<{ userId: string }>(client);
 * const stop = await events.subscribe('user:login', (msg) => console.log(msg.userId));
 * await events.publish('user:login', { userId: '42' });
 * await stop();
 * await events.close();
 * ```
 */
export class RedisPubSub<T> {
  readonly #conn: PatternConnection;
  readonly #serializer: Serializer;
  readonly #onError: (err: unknown) => void;
  readonly #stats: PubSubStats = { received: 0, garbage: 0, handlerErrors: 0 };
  readonly #routes = { subscribe: new Map<string, Route<T>>(), pSubscribe: new Map<string, Route<T>>() };
  #subscriber: Promise<Subscriber> | undefined;
  #closed = false;

  constructor(client: RedisPatternClient, options: RedisPubSubOptions = {}) {
    assertKnownKeys('options', options, OPTION_KEYS);
    const { serializer = jsonSerializer, onError, timeout } = options;
    if (onError !== undefined && typeof onError !== 'function') {
      throw new TypeError(`Expected \`onError\` to be a function, got ${describe(onError)}`);
    }
    this.#serializer = assertSerializer('serializer', serializer);
    this.#onError = onError ?? (() => undefined);
    this.#conn = new PatternConnection(assertClient(client), resolveTimeout(timeout));
  }

  /** A snapshot of the counters. */
  get stats(): PubSubStats {
    return { ...this.#stats };
  }

  /** Publishes `message` on `channel`; resolves how many subscribers received it. */
  async publish(channel: string, message: T): Promise<number> {
    assertKey('channel', channel);
    this.#assertOpen();
    const raw = encodeWith(this.#serializer, message, `a message for channel \`${channel}\``);
    return this.#conn.run('pubsub.publish', (c) => c.publish(channel, raw));
  }

  /** Calls `handler` with every message published on `channel` until the returned function is called. */
  async subscribe(channel: string, handler: MessageHandler<T>): Promise<Unsubscribe> {
    assertKey('channel', channel);
    return this.#listen('subscribe', channel, handler);
  }

  /** Like {@link subscribe}, for every channel matching the glob `pattern` (PSUBSCRIBE). */
  async subscribePattern(pattern: string, handler: MessageHandler<T>): Promise<Unsubscribe> {
    assertKey('pattern', pattern);
    return this.#listen('pSubscribe', pattern, handler);
  }

  /** Drops every subscription and destroys the subscriber connection; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    this.#routes.subscribe.clear();
    this.#routes.pSubscribe.clear();
    if (subscriber === undefined) return;
    try {
      (await subscriber).destroy();
    } catch {
      // The connection never opened, so there is nothing to destroy.
    }
  }

  async #listen(kind: 'subscribe' | 'pSubscribe', name: string, handler: MessageHandler<T>) {
    if (typeof handler !== 'function') {
      throw new TypeError(`Expected \`handler\` to be a function, got ${describe(handler)}`);
    }
    this.#assertOpen();
    const subscriber = await this.#subscriberConnection();
    this.#assertOpen();
    const routes = this.#routes[kind];
    let route = routes.get(name);
    if (route === undefined) {
      const handlers = new Set<{ handler: MessageHandler<T> }>();
      const listener: Listener = (raw, channel) => this.#deliver(raw, channel.toString(), handlers);
      const ready = bounded(
        `pubsub.${kind}`,
        () => subscriber[kind](name, listener, true),
        this.#conn.timeoutMs,
      );
      const created: Route<T> = { handlers, listener, ready };
      routes.set(name, created);
      // A failed SUBSCRIBE is forgotten (it has no handlers yet), so the next call tries again.
      ready.catch(() => {
        if (routes.get(name) === created) routes.delete(name);
      });
      route = created;
    }
    await route.ready;
    const entry = { handler };
    route.handlers.add(entry);
    const subscribed = route;
    const unsubscribeKind = kind === 'subscribe' ? 'unsubscribe' : 'pUnsubscribe';
    return async () => {
      // Silenced at once, even if the UNSUBSCRIBE below cannot reach the server.
      if (!subscribed.handlers.delete(entry) || subscribed.handlers.size > 0 || this.#closed) return;
      if (routes.get(name) === subscribed) routes.delete(name);
      await bounded(
        `pubsub.${unsubscribeKind}`,
        () => subscriber[unsubscribeKind](name, subscribed.listener, true),
        this.#conn.timeoutMs,
      );
    };
  }

  /** Decodes a message once and hands it to every handler of its channel or pattern. */
  #deliver(raw: Buffer, channel: string, handlers: ReadonlySet<{ handler: MessageHandler<T> }>): void {
    let message: T;
    try {
      message = decodeWith(this.#serializer, raw, `a message on channel \`${channel}\``) as T;
    } catch (err) {
      this.#stats.garbage++;
      this.#onError(err);
      return;
    }
    this.#stats.received++;
    for (const { handler } of handlers) {
      try {
        const result = handler(message, channel);
        if (result instanceof Promise) result.catch((err: unknown) => this.#handlerFailed(err));
      } catch (err) {
        this.#handlerFailed(err);
      }
    }
  }

  #handlerFailed(err: unknown): void {
    this.#stats.handlerErrors++;
    this.#onError(err);
  }

  #subscriberConnection(): Promise<Subscriber> {
    if (this.#subscriber === undefined) {
      const opening = this.#conn.openDedicated<Subscriber>('pubsub.connect', (err) => this.#onError(err));
      this.#subscriber = opening;
      // A failed open is forgotten, so the next subscribe tries again.
      opening.catch(() => {
        if (this.#subscriber === opening) this.#subscriber = undefined;
      });
    }
    return this.#subscriber;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError('RedisPubSub');
  }
}
