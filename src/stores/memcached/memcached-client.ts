/**
 * Over 400 lines: the public client API (get, gets, getMany, set modes, delete, touch, incr, lease), each a
 * short meta-protocol command, plus the connection pick; parsing and the socket are in their own files.
 */
import { InvalidOptionError, StoreError, ValueTooLargeError } from '../../errors.js';
import { assertKnownKeys, assertPositiveInt, assertTtl, describe } from '../../internal/asserts.js';
import { encodeKey } from './key-codec.js';
import { errorFromReply } from './memcached-connection.js';
import { MemcachedPool } from './memcached-pool.js';
import type { MetaReply } from './meta-reply-parser.js';

/**
 * Node's `Buffer` where the consumer's types define it (`@types/node`), else the `Uint8Array` it extends:
 * the public declarations must not require `@types/node` (TypeScript 7 loads no `@types` by default).
 */
export type NodeBuffer = typeof globalThis extends { Buffer: { prototype: infer B } } ? B : Uint8Array;

/** Where the server is and how the client talks to it. */
export interface MemcachedClientOptions {
  /** Server host (with `port`); or give `url`. */
  host?: string;
  /** Server port. @default 11211 */
  port?: number;
  /** `memcached://host:port` instead of `host`/`port`. */
  url?: string;
  /** Connections kept to the server; requests are pipelined on each and spread round-robin. @default 2 */
  poolSize?: number;
  /** How long a connection may take to establish, in ms. @default 1000 */
  connectTimeoutMs?: number;
  /** How long a request may wait for its reply, in ms; past it the connection is discarded. @default 1000 */
  timeoutMs?: number;
  /**
   * The largest value `set` sends, in bytes; larger values reject with `ValueTooLargeError` without a
   * round trip. Memcached's limit (`-I`, 1 MiB by default) counts the key and ~50 bytes of item header.
   * @default 1048064 (1 MiB − 512)
   */
  maxValueBytes?: number;
  /**
   * First wait before redialling a server that refused or timed out (requests that need a connection
   * fail fast meanwhile); doubles up to `maxReconnectDelayMs`, ±25 % jitter. @default 5
   */
  reconnectDelayMs?: number;
  /** The longest wait between two redials while the server is down. @default 100 */
  maxReconnectDelayMs?: number;
}

/** Storage modes of `ms`. */
export type MemcachedSetMode = 'set' | 'add' | 'replace' | 'append' | 'prepend';

/** Options of {@link MemcachedClient.set}. */
export interface MemcachedSetOptions {
  /** Expiry in ms, rounded **up** to whole seconds (memcached's resolution); absent: no expiry. */
  ttlMs?: number | undefined;
  /** Store only if the item's CAS still equals this (compare-and-set). */
  cas?: bigint | undefined;
  /** @default 'set' */
  mode?: MemcachedSetMode | undefined;
  /**
   * With `cas`: if the item's CAS is newer, store anyway but mark the item stale (`ms ... I`), so readers
   * see the `stale` flag instead of losing the write.
   */
  invalidate?: boolean | undefined;
}

/** What {@link MemcachedClient.lease} saw (the meta protocol's server-assisted stampede protection). */
export interface MemcachedLease {
  /** The value, or `undefined` on a miss (a vivified placeholder is reported as a miss). */
  value: NodeBuffer | undefined;
  /** The item's CAS, to write back with `set(key, v, { cas })`. */
  cas: bigint;
  /** `W`: this caller won the right to recompute the value; everyone else was told `winnerExists`. */
  win: boolean;
  /** `X`: the item was marked stale (`delete(key, { invalidate: true })`); serve it while recomputing. */
  stale: boolean;
  /** `Z`: another caller already holds the win; serve the stale value or wait. */
  winnerExists: boolean;
  /** Seconds left before expiry (-1: none). */
  ttlSeconds: number;
}

const DEFAULT_PORT = 11211;
const MODES: Record<MemcachedSetMode, string> = {
  set: 'S',
  add: 'E',
  replace: 'R',
  append: 'A',
  prepend: 'P',
};

/** The option names of {@link MemcachedClient} (a MemcachedStore accepts them too). */
export const CLIENT_OPTION_KEYS = [
  'host',
  'port',
  'url',
  'poolSize',
  'connectTimeoutMs',
  'timeoutMs',
  'maxValueBytes',
  'reconnectDelayMs',
  'maxReconnectDelayMs',
] as const;

/**
 * A memcached client speaking the meta protocol (memcached ≥ 1.6) over `node:net`.
 *
 * Every request is pipelined: many are in flight on each of `poolSize` connections, replies are matched
 * by an opaque token, and `getMany` sends one quiet `mg` per key ended by `mn` (one round trip, misses cost
 * no bytes back). A connection that times out, breaks the protocol or closes mid-reply is discarded and
 * its pending requests fail with `StoreTimeoutError`/`ProtocolError`/`StoreError`; the next request opens
 * a replacement. After a refused or timed-out connect the client **fails fast** instead of queueing and
 * redials in the background (5 ms doubling to 100 ms, see `MemcachedPool`); {@link onReady} says when the
 * server is back.
 *
 * Keys are strings or bytes of any content and length (see `encodeKey`: base64 `b` flag, long keys
 * shortened with SHA-256). TTLs are milliseconds rounded up to whole seconds.
 *
 * Stampede protection from the server: {@link lease} (`mg` with `N`/`R`) hands exactly one caller a
 * `win` on a miss or a near-expiry hit, and `delete(key, { invalidate: true })` (`md ... I`) marks an item
 * stale instead of removing it, so one caller recomputes while others keep serving the stale value.
 *
 * @example
 * const client = new MemcachedClient({ host: '127.0.0.1', port: 11211 });
 * await client.set('greeting', Buffer.from('hi'), { ttlMs: 60_000 });
 * const [a, b] = await client.getMany(['greeting', 'other']);
 */
export class MemcachedClient {
  /** `host:port` of the server. */
  readonly address: string;
  /** The largest value `set` accepts, in bytes. */
  readonly maxValueBytes: number;
  readonly #pool: MemcachedPool;

  constructor(options: MemcachedClientOptions) {
    assertKnownKeys('options', options, CLIENT_OPTION_KEYS);
    const { host, port } = resolveAddress(options);
    this.address = `${host}:${port}`;
    const reconnectDelayMs = assertTtl('reconnectDelayMs', options.reconnectDelayMs ?? 5);
    this.#pool = new MemcachedPool({
      host,
      port,
      size: assertPositiveInt('poolSize', options.poolSize ?? 2),
      connectTimeoutMs: assertTtl('connectTimeoutMs', options.connectTimeoutMs ?? 1000),
      timeoutMs: assertTtl('timeoutMs', options.timeoutMs ?? 1000),
      reconnectDelayMs,
      maxReconnectDelayMs: Math.max(
        reconnectDelayMs,
        assertTtl('maxReconnectDelayMs', options.maxReconnectDelayMs ?? 100),
      ),
    });
    this.maxValueBytes = assertPositiveInt('maxValueBytes', options.maxValueBytes ?? 1024 * 1024 - 512);
  }

  /** The value under `key`, or `undefined`. */
  async get(key: string | Uint8Array): Promise<NodeBuffer | undefined> {
    const reply = await this.#single(`mg ${encodeKey(key)} v`);
    if (reply.code === 'VA') return reply.value;
    return expect(reply, 'EN', undefined);
  }

  /** The value and CAS under `key`, or `undefined`. */
  async gets(key: string | Uint8Array): Promise<{ value: NodeBuffer; cas: bigint } | undefined> {
    const reply = await this.#single(`mg ${encodeKey(key)} v c`);
    if (reply.code === 'VA') return { value: reply.value!, cas: casOf(reply) };
    return expect(reply, 'EN', undefined);
  }

  /** The values under `keys` in order (`undefined` per miss), fetched as one quiet `mg` batch. */
  async getMany(keys: readonly (string | Uint8Array)[]): Promise<Array<NodeBuffer | undefined>> {
    if (keys.length === 0) return [];
    const wire = keys.map(encodeKey);
    const replies = await this.#pool.pick().batch(wire.length, (i) => `mg ${wire[i]} v`);
    return replies.map((reply) => {
      if (reply === undefined) return undefined;
      if (reply.code === 'VA') return reply.value;
      return expect(reply, 'EN', undefined);
    });
  }

  /** True if `key` holds a value (no value bytes travel). */
  async has(key: string | Uint8Array): Promise<boolean> {
    const reply = await this.#single(`mg ${encodeKey(key)}`);
    if (reply.code === 'HD') return true;
    return expect(reply, 'EN', false);
  }

  /** Stores `value`; false when the mode or `cas` prevented it (`NS`, `EX`, `NF`). */
  async set(
    key: string | Uint8Array,
    value: Uint8Array,
    options: MemcachedSetOptions = {},
  ): Promise<boolean> {
    this.#checkSize(value);
    const reply = await this.#single(
      `${msHead(encodeKey(key), value.byteLength)}${setFlags(options)}`,
      value,
    );
    return storeResult(reply, value.byteLength);
  }

  /** Stores every entry in one quiet `ms` batch; rejects if any entry was refused by the server. */
  async setMany(
    entries: ReadonlyArray<{ key: string | Uint8Array; value: Uint8Array; ttlMs?: number | undefined }>,
  ): Promise<void> {
    if (entries.length === 0) return;
    for (const e of entries) this.#checkSize(e.value);
    const wire = entries.map(
      (e) => `${msHead(encodeKey(e.key), e.value.byteLength)} T${ttlSeconds(e.ttlMs)}`,
    );
    const replies = await this.#pool.pick().batch(
      wire.length,
      (i) => wire[i]!,
      entries.map((e) => e.value),
    );
    for (const reply of replies) {
      if (reply !== undefined && reply.code !== 'HD')
        throw new StoreError(`memcached setMany: ${reply.code}`);
    }
  }

  /**
   * Removes `key` (true if it existed). With `invalidate`, marks it stale instead (`md ... I`, optionally
   * with a new `ttlMs`): the next {@link lease} wins the recompute while others read the stale value.
   */
  async delete(
    key: string | Uint8Array,
    options: { cas?: bigint; invalidate?: boolean; ttlMs?: number } = {},
  ): Promise<boolean> {
    let flags = '';
    if (options.cas !== undefined) flags += ` C${options.cas}`;
    if (options.invalidate === true) flags += ' I';
    if (options.ttlMs !== undefined) flags += ` T${ttlSeconds(options.ttlMs)}`;
    const reply = await this.#single(`md ${encodeKey(key)}${flags}`);
    if (reply.code === 'HD') return true;
    if (reply.code === 'EX') return false;
    return expect(reply, 'NF', false);
  }

  /** Removes every key in one quiet `md` batch; the number that existed. */
  async deleteMany(keys: readonly (string | Uint8Array)[]): Promise<number> {
    if (keys.length === 0) return 0;
    const wire = keys.map(encodeKey);
    const replies = await this.#pool.pick().batch(wire.length, (i) => `md ${wire[i]}`);
    let removed = 0;
    for (const reply of replies) {
      if (reply === undefined) removed++;
      else expect(reply, 'NF', 0);
    }
    return removed;
  }

  /** Sets a new TTL on an existing key (`mg ... T`); false if absent. */
  async touch(key: string | Uint8Array, ttlMs: number): Promise<boolean> {
    const reply = await this.#single(`mg ${encodeKey(key)} T${ttlSeconds(ttlMs)}`);
    if (reply.code === 'HD') return true;
    return expect(reply, 'EN', false);
  }

  /**
   * Adds `by` to a decimal counter (`ma`), creating it at `by` when absent. Memcached counters are unsigned
   * 64-bit: a negative `by` decrements and stops at 0.
   */
  async incr(key: string | Uint8Array, by = 1, options: { ttlMs?: number } = {}): Promise<number> {
    if (!Number.isSafeInteger(by))
      throw new InvalidOptionError(`Expected \`by\` to be a safe integer, got ${describe(by)}`);
    const mode = by < 0 ? 'MD' : 'MI';
    const delta = Math.abs(by);
    const reply = await this.#single(
      `ma ${encodeKey(key)} N${ttlSeconds(options.ttlMs)} J${by < 0 ? 0 : delta} D${delta} ${mode} v`,
    );
    if (reply.code !== 'VA') throw unexpected(reply);
    return Number(reply.value!.toString('latin1'));
  }

  /**
   * A read with server-assisted stampede protection (`mg key v c t N<vivify> R<recache>`).
   *
   * On a miss the server creates a placeholder for `vivifyTtlMs` and gives the first caller `win` (the
   * others get `winnerExists` and a miss); on a hit whose remaining TTL is below `recacheTtlMs`, one caller
   * gets `win` to refresh early while everyone still gets the value. The winner writes with
   * `set(key, value, { cas: lease.cas })`.
   */
  async lease(
    key: string | Uint8Array,
    options: { vivifyTtlMs: number; recacheTtlMs?: number },
  ): Promise<MemcachedLease> {
    let flags = ` N${ttlSeconds(options.vivifyTtlMs)}`;
    if (options.recacheTtlMs !== undefined) flags += ` R${ttlSeconds(options.recacheTtlMs)}`;
    const reply = await this.#single(`mg ${encodeKey(key)} v c t${flags}`);
    if (reply.code !== 'VA') throw unexpected(reply);
    const win = reply.flags.includes('W');
    const winnerExists = reply.flags.includes('Z');
    const stale = reply.flags.includes('X');
    const vivified = reply.value!.length === 0 && (win || winnerExists) && !stale;
    const ttl = reply.flags.find((f) => f.startsWith('t'));
    return {
      value: vivified ? undefined : reply.value,
      cas: casOf(reply),
      win,
      stale,
      winnerExists,
      ttlSeconds: ttl === undefined ? -1 : Number(ttl.slice(1)),
    };
  }

  /** A round trip (`mn`) on one pooled connection; rejects if the server does not answer in time. */
  async ping(): Promise<void> {
    await this.#pool.pick().batch(0, () => '');
  }

  /**
   * Calls `listener` each time the server answers a connect again after one failed (the client redials
   * in the background while it is down); returns a function that removes the listener.
   */
  onReady(listener: () => void): () => void {
    return this.#pool.onReady(listener);
  }

  /** Closes every connection after its pending requests finish (bounded by `timeoutMs`); idempotent. */
  close(): Promise<void> {
    return this.#pool.close();
  }

  #checkSize(value: Uint8Array): void {
    if (value.byteLength > this.maxValueBytes) {
      throw new ValueTooLargeError(
        `memcached ${this.address}: value of ${value.byteLength} bytes exceeds the ${this.maxValueBytes}-byte limit`,
      );
    }
  }

  #single(command: string, body?: Uint8Array): Promise<MetaReply> {
    return this.#pool.pick().single(command, body);
  }
}

function resolveAddress(options: MemcachedClientOptions): { host: string; port: number } {
  if (options.url !== undefined) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new InvalidOptionError(
        `Expected \`url\` to be a memcached://host:port URL, got ${describe(options.url)}`,
      );
    }
    if (url.protocol !== 'memcached:' || url.hostname === '') {
      throw new InvalidOptionError(
        `Expected \`url\` to be a memcached://host:port URL, got ${describe(options.url)}`,
      );
    }
    return {
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port === '' ? DEFAULT_PORT : Number(url.port),
    };
  }
  if (typeof options.host !== 'string' || options.host.length === 0) {
    throw new InvalidOptionError(
      `Expected \`host\` (or \`url\`) to be a non-empty string, got ${describe(options.host)}`,
    );
  }
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new InvalidOptionError(
      `Expected \`port\` to be an integer between 1 and 65535, got ${describe(port)}`,
    );
  }
  return { host: options.host, port };
}

/** `ms <key> <size>`, with the base64 flag after the size (`ms` takes the size right after the key). */
function msHead(wireKey: string, size: number): string {
  return wireKey.endsWith(' b') ? `ms ${wireKey.slice(0, -2)} ${size} b` : `ms ${wireKey} ${size}`;
}

/** Whole seconds for memcached, rounded up so an entry never expires early; 0 means no expiry. */
export function ttlSeconds(ttlMs: number | undefined): number {
  if (ttlMs === undefined || ttlMs === Number.POSITIVE_INFINITY) return 0;
  assertTtl('ttl', ttlMs);
  return Math.ceil(ttlMs / 1000);
}

function setFlags(options: MemcachedSetOptions): string {
  let flags = ` T${ttlSeconds(options.ttlMs)}`;
  if (options.mode !== undefined && options.mode !== 'set') {
    const mode = MODES[options.mode];
    if (mode === undefined)
      throw new InvalidOptionError(`Expected \`mode\` to be a set mode, got ${describe(options.mode)}`);
    flags += ` M${mode}`;
  }
  if (options.cas !== undefined) flags += ` C${options.cas}`;
  if (options.invalidate === true) flags += ' I';
  return flags;
}

function storeResult(reply: MetaReply, size: number): boolean {
  if (reply.code === 'HD') return true;
  if (reply.code === 'NS' || reply.code === 'EX' || reply.code === 'NF') return false;
  if (reply.code === 'SERVER_ERROR' && reply.message.includes('too large')) {
    throw new ValueTooLargeError(`memcached refused a value of ${size} bytes: ${reply.message}`);
  }
  throw unexpected(reply);
}

function casOf(reply: MetaReply): bigint {
  const token = reply.flags.find((f) => f.startsWith('c'));
  if (token === undefined || !/^c\d+$/.test(token)) throw unexpected(reply);
  return BigInt(token.slice(1));
}

function expect<T>(reply: MetaReply, code: string, result: T): T {
  if (reply.code !== code) throw unexpected(reply);
  return result;
}

function unexpected(reply: MetaReply): StoreError {
  if (reply.code === 'CLIENT_ERROR' || reply.code === 'SERVER_ERROR') return errorFromReply(reply);
  return new StoreError(`memcached: unexpected ${reply.code} reply`);
}
