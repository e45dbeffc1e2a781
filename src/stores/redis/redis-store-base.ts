/**
 * Over 400 lines: the byte-store contract methods (get, getMany, set, setMany, delete, clear, incr, setMax,
 * getNumbers, bus and lock factories), each a few lines, over one command path with its routing,
 * stall watch and reply checks. The transports, read batching, connection health, bus, lock and
 * subscriptions are in their own files.
 */
import type { RedisArgument } from '@redis/client';
import { ClosedError, StoreError, StoreTimeoutError } from '../../errors.js';
import { assertKnownKeys, assertNonNegativeMs, assertTtl } from '../../internal/asserts.js';
import { Deadlines, type Expiring } from '../../internal/deadlines.js';
import { escapeGlob } from '../../internal/glob.js';
import type { Bus } from '../bus.js';
import type { DistributedLock } from '../lock.js';
import { type ReadSink, SETTLE_GET } from '../settle-get.js';
import type { Store, StoreCapabilities, StoreEntry } from '../store.js';
import { groupBySlot } from './cluster-slot.js';
import { ConnectionHealth, type ReadyOptions } from './connection-health.js';
import type { LuaScript } from './lua-scripts.js';
import { SET_MAX } from './lua-scripts.js';
import { MultiGetSink, ReadBatcher, type ReplySink, toBytes } from './read-batch.js';
import { RedisBus } from './redis-bus.js';
import { RedisLock } from './redis-lock.js';
import type { RedisRunner } from './redis-runner.js';
import {
  BUFFERS,
  type ConnectionSettings,
  isReadOnlyReply,
  isServerReply,
  type NodeSender,
  type RedisTransport,
  toStoreError,
} from './redis-transport.js';

/** Options shared by {@link RedisStore} and {@link RedisClusterStore}. */
export interface RedisStoreOptions {
  /**
   * Prepended to every key, lock and channel the store sends, and stripped from keys `scan` returns: a
   * namespace on a shared server. `clear('')` clears only this prefix.
   * @default ''
   */
  prefix?: string;
  /** The store's name in stats, events and errors. @default 'redis' (standalone), 'redis-cluster' */
  name?: string;
  /**
   * How long one command may wait for its reply before it rejects with a `StoreTimeoutError`. Once the
   * connection has then stayed silent for this long with the command still unanswered (a half-open socket,
   * or a reply stalled mid-frame), the store drops it and dials a new one, rejecting every command queued on
   * it. The `Cache` adds its own, usually shorter, per-operation timeout on top. `0` disables both.
   * @default 1_000
   */
  commandTimeoutMs?: number;
  /** TCP connect and handshake timeout of connections the store creates. @default 1_000 */
  connectTimeoutMs?: number;
  /**
   * Upper bound of the reconnect backoff of connections the store creates (it never gives up): during an
   * outage a connection retries about this often, so a restarted server is found within about this long.
   * @default 100
   */
  maxReconnectDelayMs?: number;
  /**
   * How often a subscriber connection (the bus) is PINGed: when no PONG comes back within
   * `connectTimeoutMs` it is dropped and re-dialled, and `onReset` fires (a half-open subscriber would
   * otherwise miss every message in silence). `0` disables it.
   * @default 5_000
   */
  subscriberPingMs?: number;
  /** Fallback poll interval of `RedisLock.wait` when a pub/sub wake-up is missed. @default 50 */
  lockPollMs?: number;
  /**
   * How long a key's fencing record outlives its last grant or write: a lock holder paused longer than this
   * (or than the value's TTL, if longer) is no longer fenced out.
   * @default 86_400_000 (one day)
   */
  fenceTtlMs?: number;
  /** Called with every connection error (they never throw or crash the process); they are also counted. */
  onError?: (error: StoreError) => void;
}

const OPTION_KEYS = [
  'prefix',
  'name',
  'commandTimeoutMs',
  'connectTimeoutMs',
  'maxReconnectDelayMs',
  'subscriberPingMs',
  'lockPollMs',
  'fenceTtlMs',
  'onError',
] as const;

/** Counters of a Redis store's connection health. */
export interface RedisStoreStats {
  /** Connection-level errors (socket closed, reconnect failures, ...). */
  connectionErrors: number;
  /** Commands that hit `commandTimeoutMs`. */
  timeouts: number;
  /** Connections dropped and re-dialled because they stopped answering. */
  recycles: number;
}

const MGET_CHUNK = 512;
const SCAN_COUNT = '1000';

/** Resolved settings of a store, validated once. */
export interface ResolvedRedisOptions extends ConnectionSettings {
  prefix: string;
  name: string | undefined;
  commandTimeoutMs: number;
  subscriberPingMs: number;
  lockPollMs: number;
  fenceTtlMs: number;
  onError: ((error: StoreError) => void) | undefined;
}

/** Validates {@link RedisStoreOptions} eagerly and fills the defaults. */
export function resolveRedisOptions(options: RedisStoreOptions): ResolvedRedisOptions {
  assertKnownKeys('options', options, OPTION_KEYS);
  if (options.prefix !== undefined && typeof options.prefix !== 'string') {
    throw new TypeError(`Expected \`prefix\` to be a string, got ${typeof options.prefix}`);
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new TypeError('Expected `onError` to be a function');
  }
  return {
    prefix: options.prefix ?? '',
    name: options.name,
    commandTimeoutMs: assertNonNegativeMs('commandTimeoutMs', options.commandTimeoutMs ?? 1000),
    connectTimeoutMs: assertTtl('connectTimeoutMs', options.connectTimeoutMs ?? 1000),
    maxReconnectDelayMs: assertTtl('maxReconnectDelayMs', options.maxReconnectDelayMs ?? 100),
    subscriberPingMs: assertNonNegativeMs('subscriberPingMs', options.subscriberPingMs ?? 5000),
    lockPollMs: assertTtl('lockPollMs', options.lockPollMs ?? 50),
    fenceTtlMs: assertTtl('fenceTtlMs', options.fenceTtlMs ?? 86_400_000),
    onError: options.onError,
  };
}

function toBuffer(value: Uint8Array): Buffer {
  if (!(value instanceof Uint8Array)) throw new TypeError('Expected a value of type Uint8Array');
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** One command in flight: its own deadline queue node, and what settles its promise. */
class RedisCommand implements Expiring {
  done = false;
  at = 0;
  next: Expiring | undefined = undefined;
  /** True once the reply (or an error) arrived, even after the command timed out. */
  settled = false;
  readonly sink: ReplySink;
  readonly #onExpire: (command: RedisCommand) => void;
  readonly op: string;
  sentAt = 0;
  /** The transport's recycle count when the command was sent. */
  readonly epoch: number;
  readonly map: ((reply: unknown) => unknown) | undefined;

  constructor(
    onExpire: (command: RedisCommand) => void,
    op: string,
    epoch: number,
    map: ((reply: unknown) => unknown) | undefined,
    sink: ReplySink,
  ) {
    this.#onExpire = onExpire;
    this.sink = sink;
    this.op = op;
    this.epoch = epoch;
    this.map = map;
  }

  expire(): void {
    this.#onExpire(this);
  }
}

function ttlArgs(ttlMs: number | undefined): string[] {
  return ttlMs === undefined || ttlMs === Number.POSITIVE_INFINITY ? [] : ['PX', String(Math.ceil(ttlMs))];
}

/**
 * The code shared by {@link RedisStore} and {@link RedisClusterStore}: keys are prefixed, values are bytes,
 * every command is bounded by `commandTimeoutMs` and rejects with a {@link StoreError}; multi-key commands
 * are grouped by slot on a cluster. Concurrent callers share one connection per node, and node-redis
 * pipelines every command issued in the same tick into one write.
 */
export abstract class RedisStoreBase implements Store {
  readonly name: string;
  readonly capabilities: StoreCapabilities = Object.freeze({
    ttl: true,
    scan: true,
    maxValueBytes: 512 * 1024 * 1024,
    scripts: true,
    pubsub: true,
    locks: true,
  });
  readonly #prefix: string;
  readonly #timeoutMs: number;
  /** Command deadlines (undefined when `commandTimeoutMs` is 0). */
  readonly #deadlines: Deadlines | undefined;
  readonly #options: ResolvedRedisOptions;
  readonly #transport: RedisTransport;
  readonly #stats = { connectionErrors: 0, timeouts: 0 };
  readonly #children = new Set<{ close(): Promise<void> }>();
  readonly #reads = new ReadBatcher((keys, sinks) => this.#sendReads(keys, sinks));
  #lastReplyAt = 0;
  #closed = false;
  readonly #health: ConnectionHealth;

  protected constructor(
    options: ResolvedRedisOptions,
    defaultName: string,
    makeTransport: (
      settings: ConnectionSettings,
      onError: (err: unknown) => void,
      onReady: (node?: string) => void,
    ) => RedisTransport,
  ) {
    this.#options = options;
    this.name = options.name ?? defaultName;
    this.#prefix = options.prefix;
    this.#timeoutMs = options.commandTimeoutMs;
    this.#deadlines = this.#timeoutMs === 0 ? undefined : new Deadlines(this.#timeoutMs);
    this.#transport = makeTransport(
      options,
      (err) => this.#connectionError(err),
      (node) => this.#health.becameReady(node),
    );
    this.#health = new ConnectionHealth(this.name, this.#transport.firstReady, () => this.#lastReplyAt);
  }

  /** Connection health counters (a snapshot). */
  get stats(): RedisStoreStats {
    return { ...this.#stats, recycles: this.#transport.recycles };
  }

  /**
   * Resolves once the store's first connection is ready (operations before that wait for it, bounded).
   * With `timeoutMs` or `signal` it is a start-up health check: it rejects with a `StoreError` (code
   * `ERR_CACHE_STORE_NOT_READY`) whose cause is the last connection error (refused, auth, TLS).
   */
  ready(options: ReadyOptions = {}): Promise<void> {
    return this.#health.ready(this.#transport.firstReady, options);
  }

  /** Calls `listener` each time the store's connection becomes ready (see `Store.onReady`). */
  onReady(listener: (node: string | undefined) => void): () => void {
    return this.#health.onReady(listener);
  }

  /** The last connection error while no reply has come since (undefined while the connection works). */
  get connectionError(): StoreError | undefined {
    return this.#health.error;
  }

  #connectionError(err: unknown): void {
    this.#stats.connectionErrors++;
    if (this.#closed) return;
    const error = toStoreError(err, `${this.name} connection`);
    this.#health.connectionFailed(error);
    try {
      this.#options.onError?.(error);
    } catch {
      // A throwing listener must not turn a counted connection error into a crash.
    }
  }

  #closedError(): ClosedError {
    return new ClosedError(`store \`${this.name}\``);
  }

  #k(key: string): string {
    if (typeof key !== 'string') throw new TypeError(`Expected a key of type string, got ${typeof key}`);
    return this.#prefix + key;
  }

  /** Sends one command, bounded by the command timeout, with every failure as a StoreError. */
  #send(
    op: string,
    key: RedisArgument | undefined,
    readonly: boolean,
    args: readonly RedisArgument[],
    buffers = false,
    map?: (reply: unknown) => unknown,
  ): Promise<unknown> {
    if (this.#closed) return Promise.reject(this.#closedError());
    return new Promise<unknown>((resolve, reject) => {
      this.#route(op, key, readonly, args, buffers, map, { resolve, reject });
    });
  }

  /** Sends one command now, or once the first connection is ready (waiting at most the command timeout). */
  #route(
    op: string,
    key: RedisArgument | undefined,
    readonly: boolean,
    args: readonly RedisArgument[],
    buffers: boolean,
    map: ((reply: unknown) => unknown) | undefined,
    sink: ReplySink,
  ): void {
    const first = this.#transport.firstReady;
    if (first === undefined) this.#dispatch(op, key, readonly, args, buffers, map, sink);
    else {
      this.#health.waitingForFirstConnection();
      this.#bounded(op, first).then(
        () => this.#dispatch(op, key, readonly, args, buffers, map, sink),
        (err: unknown) => sink.reject(err),
      );
    }
  }

  /**
   * Sends the single-key reads of one tick: one `GET` for a lone key, else one `MGET` per slot (per chunk
   * of {@link MGET_CHUNK} keys on a standalone server).
   */
  #sendReads(keys: string[], sinks: ReadSink[]): void {
    if (this.#closed) {
      const err = this.#closedError();
      for (const sink of sinks) sink.reject(err);
      return;
    }
    if (keys.length === 1 || !this.#transport.clustered) {
      for (let i = 0; i < keys.length; i += MGET_CHUNK) {
        this.#sendMultiGet(keys.slice(i, i + MGET_CHUNK), sinks.slice(i, i + MGET_CHUNK));
      }
      return;
    }
    for (const group of groupBySlot(keys, (k) => k).values()) {
      this.#sendMultiGet(
        group.map((i) => keys[i]!),
        group.map((i) => sinks[i]!),
      );
    }
  }

  #sendMultiGet(keys: string[], sinks: ReadSink[]): void {
    if (keys.length === 1) this.#route('get', keys[0], true, ['GET', keys[0]!], true, toBytes, sinks[0]!);
    else
      this.#route(
        'get',
        keys[0],
        true,
        ['MGET', ...keys],
        true,
        undefined,
        new MultiGetSink(sinks, this.name),
      );
  }

  /**
   * Sends one command whose outcome settles `sink` (once). The command object is its own deadline: no
   * promise besides the client's.
   */
  #dispatch(
    op: string,
    key: RedisArgument | undefined,
    readonly: boolean,
    args: readonly RedisArgument[],
    buffers: boolean,
    map: ((reply: unknown) => unknown) | undefined,
    sink: ReplySink,
  ): void {
    const command = new RedisCommand(this.#expired, op, this.#transport.recycles, map, sink);
    // The deadline's clock reading doubles as the send time the stall watch needs.
    if (this.#deadlines === undefined) command.sentAt = performance.now();
    else {
      this.#deadlines.add(command);
      command.sentAt = command.at - this.#timeoutMs;
    }
    let reply: Promise<unknown>;
    try {
      reply = this.#transport.send(key, readonly, args, buffers ? BUFFERS : undefined);
    } catch (err) {
      reply = Promise.reject(err);
    }
    reply.then(
      (value) => this.#replied(command, value),
      (err: unknown) => this.#failed(command, err),
    );
  }

  #replied(command: RedisCommand, value: unknown): void {
    command.settled = true;
    this.#lastReplyAt = performance.now();
    if (command.done) return;
    command.done = true;
    // Parsed in the same read that broke the reply stream: possibly spliced from two replies.
    if (this.#transport.recycles !== command.epoch) {
      command.sink.reject(
        new StoreError(`${this.name}.${command.op} failed: its connection broke while the reply was read`),
      );
    } else command.sink.resolve(command.map === undefined ? value : command.map(value));
  }

  #failed(command: RedisCommand, err: unknown): void {
    command.settled = true;
    if (isServerReply(err)) this.#lastReplyAt = performance.now();
    // A replica answered on the current connection: the endpoint failed over (once per connection suffices).
    if (isReadOnlyReply(err) && command.epoch === this.#transport.recycles) this.#transport.failover?.();
    if (command.done) return;
    command.done = true;
    command.sink.reject(toStoreError(err, `${this.name}.${command.op}`));
  }

  /** A command hit the command timeout: it rejects, and the connection is watched for a stall. */
  readonly #expired = (command: RedisCommand): void => {
    this.#stats.timeouts++;
    command.sink.reject(new StoreTimeoutError(`${this.name}.${command.op}`, this.#timeoutMs));
    this.#transport.commandTimedOut?.();
    this.#watchStall(command);
  };

  /**
   * After a command timed out: drops the connection once it has been silent for the command timeout while
   * the command is still unanswered. Replies are in order, so a reply arriving meanwhile (to a command sent
   * before) only postpones the verdict; commands queued behind the stalled one cannot answer before it.
   */
  #watchStall(command: RedisCommand): void {
    const check = (): void => {
      if (command.settled || this.#closed || this.#transport.recycles !== command.epoch) return;
      const silentMs = performance.now() - Math.max(this.#lastReplyAt, command.sentAt);
      if (silentMs >= this.#timeoutMs) {
        this.#transport.recycle();
        return;
      }
      setTimeout(check, this.#timeoutMs - silentMs).unref();
    };
    check();
  }

  #bounded<T>(op: string, pending: Promise<T>): Promise<T> {
    if (this.#deadlines === undefined) return pending;
    const deadlines = this.#deadlines;
    return new Promise<T>((resolve, reject) => {
      const deadline = deadlines.start(() => {
        this.#stats.timeouts++;
        this.#transport.commandTimedOut?.();
        reject(new StoreTimeoutError(`${this.name}.${op}`, this.#timeoutMs, this.#health.error));
      });
      pending.then(
        (value) => {
          deadline.done = true;
          resolve(value);
        },
        (err: unknown) => {
          deadline.done = true;
          reject(err);
        },
      );
    });
  }

  async #script(
    op: string,
    script: LuaScript,
    keys: readonly string[],
    args: readonly RedisArgument[],
  ): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.#send(op, keys[0], false, ['EVALSHA', script.sha, ...tail]);
    } catch (err) {
      if (!(err instanceof StoreError) || !/NOSCRIPT/.test(err.message)) throw err;
      return this.#send(op, keys[0], false, ['EVAL', script.source, ...tail]);
    }
  }

  /** Runs `fn` once per slot group (once in all for a standalone server). */
  async #perSlot<T>(
    items: readonly T[],
    keyOf: (item: T) => string | Uint8Array,
    fn: (group: T[]) => Promise<void>,
  ): Promise<void> {
    if (!this.#transport.clustered) {
      for (let i = 0; i < items.length; i += MGET_CHUNK) await fn(items.slice(i, i + MGET_CHUNK));
      return;
    }
    const groups = groupBySlot(items, keyOf);
    await Promise.all([...groups.values()].map((idx) => fn(idx.map((i) => items[i]!))));
  }

  /** Reads of the same tick go out together (see {@link ReadBatcher}). */
  get(key: string): Promise<Uint8Array | undefined> {
    return new Promise<Uint8Array | undefined>((resolve, reject) => {
      this[SETTLE_GET](key, { resolve, reject } as ReadSink);
    });
  }

  /** `get` that settles a tier's read directly (see {@link SETTLE_GET}). */
  [SETTLE_GET](key: string, sink: ReadSink): void {
    let k: string;
    try {
      k = this.#k(key);
    } catch (err) {
      sink.reject(err);
      return;
    }
    if (this.#closed) sink.reject(this.#closedError());
    else this.#reads.add(k, sink);
  }

  async getMany(keys: readonly string[]): Promise<Array<Uint8Array | undefined>> {
    const out: Array<Uint8Array | undefined> = new Array(keys.length).fill(undefined);
    const indexed = keys.map((key, i) => ({ k: this.#k(key), i }));
    await this.#perSlot(
      indexed,
      (e) => e.k,
      async (group) => {
        const replies = (await this.#send(
          'getMany',
          group[0]!.k,
          true,
          ['MGET', ...group.map((e) => e.k)],
          true,
        )) as unknown[];
        for (let j = 0; j < group.length; j++) out[group[j]!.i] = toBytes(replies[j]);
      },
    );
    return out;
  }

  async set(key: string, value: Uint8Array, ttlMs?: number): Promise<void> {
    const k = this.#k(key);
    await this.#send('set', k, false, ['SET', k, toBuffer(value), ...ttlArgs(ttlMs)]);
  }

  async setMany(entries: readonly StoreEntry[]): Promise<void> {
    // One SET per entry, issued in the same tick: node-redis writes them as one pipeline per node.
    await Promise.all(entries.map((e) => this.set(e.key, e.value, e.ttlMs)));
  }

  async delete(key: string): Promise<boolean> {
    const k = this.#k(key);
    return ((await this.#send('delete', k, false, ['UNLINK', k])) as number) > 0;
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    let removed = 0;
    await this.#perSlot(
      keys.map((key) => this.#k(key)),
      (k) => k,
      async (group) => {
        // Groups run concurrently: read the sum only after the await.
        const n = (await this.#send('deleteMany', group[0], false, ['UNLINK', ...group])) as number;
        removed += n;
      },
    );
    return removed;
  }

  async has(key: string): Promise<boolean> {
    const k = this.#k(key);
    return ((await this.#send('has', k, true, ['EXISTS', k])) as number) > 0;
  }

  async touch(key: string, ttlMs: number): Promise<boolean> {
    const k = this.#k(key);
    return ((await this.#send('touch', k, false, ['PEXPIRE', k, String(Math.ceil(ttlMs))])) as number) > 0;
  }

  async clear(prefix: string): Promise<void> {
    for await (const keys of this.#pages('clear', `${escapeGlob(this.#prefix + prefix)}*`)) {
      await this.#perSlot(
        keys,
        (k) => k,
        async (group) => {
          await this.#send('clear', group[0], false, ['UNLINK', ...group]);
        },
      );
    }
  }

  async *scan(glob: string): AsyncIterable<string> {
    // SCAN may return a key more than once; each is yielded once.
    const seen = new Set<string>();
    for await (const keys of this.#pages('scan', escapeGlob(this.#prefix) + glob)) {
      for (const raw of keys) {
        const key = raw.toString('utf8').slice(this.#prefix.length);
        if (seen.has(key)) continue;
        seen.add(key);
        yield key;
      }
    }
  }

  /** SCANs every master in turn with MATCH `match`, yielding each non-empty page of raw keys. */
  async *#pages(op: string, match: string): AsyncGenerator<Buffer[]> {
    if (this.#closed) throw this.#closedError();
    const first = this.#transport.firstReady;
    if (first !== undefined) await this.#bounded(op, first);
    let masters: NodeSender[];
    try {
      masters = await this.#bounded(op, this.#transport.masters());
    } catch (err) {
      throw toStoreError(err, `${this.name}.${op}`);
    }
    for (const send of masters) {
      let cursor = '0';
      do {
        const page = send(['SCAN', cursor, 'MATCH', match, 'COUNT', SCAN_COUNT], BUFFERS).catch(
          (err: unknown) => {
            throw toStoreError(err, `${this.name}.${op}`);
          },
        );
        const reply = (await this.#bounded(op, page)) as [Buffer, Buffer[]];
        cursor = reply[0].toString();
        if (reply[1].length > 0) yield reply[1];
      } while (cursor !== '0');
    }
  }

  async incr(key: string, by = 1): Promise<number> {
    if (!Number.isInteger(by)) throw new TypeError(`Expected \`by\` to be an integer, got ${by}`);
    const k = this.#k(key);
    return Number(await this.#send('incr', k, false, ['INCRBY', k, String(by)]));
  }

  async setMax(key: string, value: number, ttlMs?: number): Promise<number> {
    if (!Number.isFinite(value))
      throw new TypeError(`Expected \`value\` to be a finite number, got ${value}`);
    const ttl = ttlMs === undefined ? '' : String(Math.ceil(ttlMs));
    return Number(await this.#script('setMax', SET_MAX, [this.#k(key)], [String(value), ttl]));
  }

  async getNumbers(keys: readonly string[]): Promise<number[]> {
    const out = new Array<number>(keys.length).fill(0);
    const indexed = keys.map((key, i) => ({ k: this.#k(key), i }));
    await this.#perSlot(
      indexed,
      (e) => e.k,
      async (group) => {
        const replies = (await this.#send('getNumbers', group[0]!.k, true, [
          'MGET',
          ...group.map((e) => e.k),
        ])) as Array<string | null>;
        for (let j = 0; j < group.length; j++) {
          const n = Number(replies[j] ?? 0);
          out[group[j]!.i] = Number.isFinite(n) ? n : 0;
        }
      },
    );
    return out;
  }

  createBus(channel: string): Bus {
    if (typeof channel !== 'string' || channel.length === 0) {
      throw new TypeError('Expected `channel` to be a non-empty string');
    }
    return this.#adopt(new RedisBus(this.#runner(), this.#prefix + channel));
  }

  createLock(prefix: string): DistributedLock {
    if (typeof prefix !== 'string') throw new TypeError('Expected `prefix` to be a string');
    return this.#adopt(new RedisLock(this.#runner(), prefix));
  }

  #adopt<T extends { close(): Promise<void> }>(child: T): T {
    if (this.#closed) throw this.#closedError();
    this.#children.add(child);
    return child;
  }

  #runner(): RedisRunner {
    return {
      name: this.name,
      prefix: this.#prefix,
      lockPollMs: this.#options.lockPollMs,
      fenceTtlMs: this.#options.fenceTtlMs,
      connectTimeoutMs: this.#options.connectTimeoutMs,
      subscriberPingMs: this.#options.subscriberPingMs,
      redialSubscribers: this.#transport.redialSubscribers,
      command: (op, key, args) => this.#send(op, key, false, args),
      script: (op, script, keys, args) => this.#script(op, script, keys, args),
      subscriber: (attempt) => this.#transport.subscriber(attempt),
      reportError: (err) => this.#connectionError(err),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#health.close();
    await Promise.all([...this.#children].map((c) => c.close()));
    this.#children.clear();
    await this.#transport.close();
  }
}
