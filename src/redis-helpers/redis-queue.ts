import { ClosedError } from '../errors.js';
import { assertKnownKeys, assertPositiveInt, assertTtl, describe } from '../internal/asserts.js';
import { jsonSerializer } from '../serializer/json.js';
import type { Serializer } from '../serializer/serializer.js';
import {
  assertClient,
  assertKey,
  BYTES_MAPPING,
  type BytesCommands,
  PatternConnection,
  type PatternConnectionOptions,
  type RedisPatternClient,
  resolveTimeout,
} from './connection.js';
import { assertSerializer, decodeWith, encodeWith } from './serialization.js';

/** Options of {@link RedisQueue}. */
export interface RedisQueueOptions extends PatternConnectionOptions {
  /** The list's Redis key. */
  key: string;
  /** @default jsonSerializer */
  serializer?: Serializer;
  /**
   * How many dedicated connections concurrent `popBlocking` calls may open; further callers wait for one
   * to come free (within their own timeout).
   * @default 2
   */
  maxBlockingConnections?: number;
  /** Receives errors of the dedicated connections (they reconnect by themselves). */
  onError?: (err: unknown) => void;
}

interface BlockingConnection {
  readonly bytes: BytesCommands;
  destroy(): void;
}

interface Waiter {
  deadline: number;
  resolve(conn: BlockingConnection | undefined): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
}

const OPTION_KEYS = ['key', 'serializer', 'maxBlockingConnections', 'onError', 'timeout'] as const;

/**
 * A FIFO queue on a Redis list: `push` appends at the tail, `pop` takes from the head.
 *
 * `popBlocking` runs BLPOP on a **dedicated connection** duplicated from the client, so it never blocks
 * the shared client's other commands; it resolves `undefined` when nothing arrives within its timeout.
 * Each item is delivered to **at most one** popper; an item whose reply is lost with a dying connection is
 * lost (use a Redis Stream when every item must be processed). An item whose bytes cannot be decoded is
 * removed and reported by a rejected `DeserializationError`. `close()` releases the dedicated connections
 * (never the client given).
 *
 * @example
 * ```ts
 * const jobs = new RedisQueue<{ id: number }>(client, { key: 'jobs' });
 * await jobs.push({ id: 1 }, { id: 2 });
 * const job = await jobs.popBlocking(5_000); // { id: 1 }, or undefined after 5 s of nothing
 * await jobs.close();
 * ```
 */
export class RedisQueue<T> {
  readonly #conn: PatternConnection;
  readonly #key: string;
  readonly #serializer: Serializer;
  readonly #maxBlocking: number;
  readonly #onError: (err: unknown) => void;
  readonly #idle: BlockingConnection[] = [];
  readonly #busy = new Set<BlockingConnection>();
  readonly #waiters: Waiter[] = [];
  #opening = 0;
  #closed = false;

  constructor(client: RedisPatternClient, options: RedisQueueOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected \`options\` to be an object with a \`key\`, got ${describe(options)}`);
    }
    assertKnownKeys('options', options, OPTION_KEYS);
    const { key, serializer = jsonSerializer, maxBlockingConnections = 2, onError, timeout } = options;
    if (onError !== undefined && typeof onError !== 'function') {
      throw new TypeError(`Expected \`onError\` to be a function, got ${describe(onError)}`);
    }
    this.#key = assertKey('key', key);
    this.#serializer = assertSerializer('serializer', serializer);
    this.#maxBlocking = assertPositiveInt('maxBlockingConnections', maxBlockingConnections);
    this.#onError = onError ?? (() => undefined);
    this.#conn = new PatternConnection(assertClient(client), resolveTimeout(timeout));
  }

  /** Appends `items` at the tail, in order; resolves the new length. */
  async push(...items: T[]): Promise<number> {
    this.#assertOpen();
    if (items.length === 0) throw new RangeError('Expected at least one item to push, got none');
    const raw = items.map((item, i) =>
      encodeWith(this.#serializer, item, `item ${i} pushed to \`${this.#key}\``),
    );
    const key = this.#key;
    return this.#conn.run('queue.push', (c) => c.rPush(key, raw));
  }

  /** Removes and returns the head item, or `undefined` when the queue is empty. */
  async pop(): Promise<T | undefined> {
    this.#assertOpen();
    const key = this.#key;
    const raw = await this.#conn.runBytes('queue.pop', (c) => c.lPop(key));
    return raw === null ? undefined : this.#decode(raw);
  }

  /** The head item without removing it, or `undefined` when the queue is empty. */
  async peek(): Promise<T | undefined> {
    this.#assertOpen();
    const key = this.#key;
    const raw = await this.#conn.runBytes('queue.peek', (c) => c.lIndex(key, 0));
    return raw === null ? undefined : this.#decode(raw);
  }

  /** The number of queued items. */
  async length(): Promise<number> {
    this.#assertOpen();
    const key = this.#key;
    return this.#conn.run('queue.length', (c) => c.lLen(key));
  }

  /**
   * Removes and returns the head item, waiting up to `timeoutMs` for one to be pushed; `undefined` when
   * none came in time.
   */
  async popBlocking(timeoutMs: number): Promise<T | undefined> {
    assertTtl('timeoutMs', timeoutMs);
    this.#assertOpen();
    const deadline = Date.now() + timeoutMs;
    const conn = await this.#acquire(deadline);
    if (conn === undefined) return undefined;
    let raw: Buffer | undefined;
    let healthy = false;
    try {
      // BLPOP takes seconds with decimals; 0 would mean "forever", so never less than 1 ms.
      const waitMs = Math.max(deadline - Date.now(), 1);
      const key = this.#key;
      const reply = await this.#conn.run(
        'queue.popBlocking',
        () => conn.bytes.blPop(key, waitMs / 1000),
        waitMs + this.#conn.timeoutMs,
      );
      healthy = true;
      raw = reply === null ? undefined : reply.element;
    } catch (err) {
      if (this.#closed) throw new ClosedError('RedisQueue');
      throw err;
    } finally {
      this.#release(conn, healthy);
    }
    return raw === undefined ? undefined : this.#decode(raw);
  }

  /** Removes every item (the whole key). */
  async clear(): Promise<void> {
    this.#assertOpen();
    const key = this.#key;
    await this.#conn.run('queue.clear', (c) => c.unlink(key));
  }

  /** Destroys the dedicated connections; pending `popBlocking` calls reject with `ClosedError`. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new ClosedError('RedisQueue'));
    }
    for (const conn of [...this.#idle.splice(0), ...this.#busy]) conn.destroy();
    this.#busy.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError('RedisQueue');
  }

  #decode(raw: Buffer): T {
    return decodeWith(this.#serializer, raw, `an item popped from \`${this.#key}\``) as T;
  }

  async #acquire(deadline: number): Promise<BlockingConnection | undefined> {
    const idle = this.#idle.pop();
    if (idle !== undefined) {
      this.#busy.add(idle);
      return idle;
    }
    if (this.#busy.size + this.#opening < this.#maxBlocking) {
      this.#opening++;
      let conn: BlockingConnection;
      try {
        conn = await this.#openBlocking();
      } finally {
        this.#opening--;
      }
      if (this.#closed) {
        conn.destroy();
        throw new ClosedError('RedisQueue');
      }
      this.#busy.add(conn);
      return conn;
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        deadline,
        resolve,
        reject,
        timer: setTimeout(
          () => {
            this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
            resolve(undefined);
          },
          Math.max(deadline - Date.now(), 0),
        ),
      };
      this.#waiters.push(waiter);
    });
  }

  async #openBlocking(): Promise<BlockingConnection> {
    const dup = await this.#conn.openDedicated<{ withTypeMapping(m: typeof BYTES_MAPPING): unknown }>(
      'queue.connect',
      this.#onError,
    );
    return { bytes: dup.withTypeMapping(BYTES_MAPPING) as BytesCommands, destroy: () => dup.destroy() };
  }

  #release(conn: BlockingConnection, healthy: boolean): void {
    this.#busy.delete(conn);
    if (this.#closed) {
      conn.destroy();
      return;
    }
    // A connection whose BLPOP failed or timed out may still owe a reply: never reuse it.
    if (!healthy) {
      conn.destroy();
      this.#wakeWaiterToOpen();
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter === undefined) {
      this.#idle.push(conn);
      return;
    }
    clearTimeout(waiter.timer);
    this.#busy.add(conn);
    waiter.resolve(conn);
  }

  /** After a connection is dropped, the first waiter opens a replacement instead of waiting on. */
  #wakeWaiterToOpen(): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) return;
    clearTimeout(waiter.timer);
    this.#acquire(waiter.deadline).then(waiter.resolve, waiter.reject);
  }
}
