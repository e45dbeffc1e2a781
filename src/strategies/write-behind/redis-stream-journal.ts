import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createClient, type RedisClientType } from '@redis/client';
import { InvalidOptionError, StoreError, StoreTimeoutError } from '../../errors.js';
import { assertKnownKeys, assertNonNegativeMs, assertTtl } from '../../internal/asserts.js';
import { Emitter } from '../../internal/emitter.js';
import { type Clock, systemClock } from '../../ttl/clock.js';
import type { JournalEvents, JournalRecord, WriteJournal } from './journal.js';

/** Options of {@link RedisStreamJournal}. */
export interface RedisStreamJournalOptions {
  /** A Redis URL; the journal creates (and closes) its own client. Give `url` or `client`. */
  url?: string;
  /** An existing client (connected or not); the journal never closes it. */
  client?: RedisClientType;
  /** The stream key holding the journal. */
  stream: string;
  /** The consumer group of the appliers. @default 'stratacache-write-behind' */
  group?: string;
  /**
   * This process's consumer name. Give a stable one (a pod or host name) so a restarted process
   * replays its own unacknowledged entries at once instead of waiting `claimIdleMs` to claim them.
   * @default `${hostname}-${pid}-${random}`
   */
  consumer?: string;
  /**
   * How long an entry must sit unacknowledged in another consumer's hands before this one claims it
   * (XAUTOCLAIM), in ms. Must exceed the longest retry cycle of a live peer, or its entries are applied
   * twice (harmless when the source checks versions, see `writeBehind`). @default 60000
   */
  claimIdleMs?: number;
  /** How often to look for entries to claim and check the server's run id, in ms. @default 5000 */
  claimIntervalMs?: number;
  /**
   * Accept a server whose `maxmemory-policy` is not `noeviction`. Such a server may evict the stream
   * under memory pressure and silently drop accepted writes; leave false unless you accept that.
   * @default false
   */
  allowEviction?: boolean;
  /** Bound of each Redis call, in ms. @default 2000 */
  timeoutMs?: number;
  /** Encodes values into the stream. @default JSON */
  serializer?: { encode(value: unknown): string; decode(text: string): unknown };
  /** Time source for the claim schedule. */
  clock?: Clock;
}

const KNOWN = [
  'url',
  'client',
  'stream',
  'group',
  'consumer',
  'claimIdleMs',
  'claimIntervalMs',
  'allowEviction',
  'timeoutMs',
  'serializer',
  'clock',
] as const;

const JSON_SERIALIZER = { encode: (v: unknown) => JSON.stringify(v), decode: (s: string) => JSON.parse(s) };

interface RawMessage {
  id: string;
  message: unknown;
}

/**
 * A write-behind journal in a Redis stream read through a consumer group.
 *
 * `append` is an XADD; `read` hands out, in order, this consumer's pending entries (XREADGROUP from
 * `0`: the replay after a restart), entries idle for `claimIdleMs` in crashed peers' hands
 * (XAUTOCLAIM), and new entries (XREADGROUP `>`); `ack` is XACK + XDEL in one transaction, so applied
 * entries leave the stream.
 *
 * **What "accepted" means**: the entry is in the memory of the Redis server, so durability is the
 * deployment's. Without persistence a Redis restart loses the unapplied entries; with AOF `everysec`
 * up to about one second of them; with AOF `always` none. A loss is detected (the group is gone:
 * NOGROUP, or the server's run id changed and the group with it), reported with a `lost` event, and
 * the group is recreated so writing continues. `open` refuses a server whose `maxmemory-policy` is not
 * `noeviction` (it could evict the stream) unless `allowEviction` is set.
 *
 * Each record carries its stream id and a per-key version; field names: `k` key, `o` op (`s`/`d`),
 * `v` encoded value, `n` version.
 *
 * @example
 * const journal = new RedisStreamJournal({ url: 'redis://127.0.0.1:6379', stream: 'orders:wb', consumer: 'api-1' });
 */
export class RedisStreamJournal implements WriteJournal {
  readonly #stream: string;
  readonly #group: string;
  readonly #consumer: string;
  readonly #claimIdleMs: number;
  readonly #claimIntervalMs: number;
  readonly #allowEviction: boolean;
  readonly #timeoutMs: number;
  readonly #serializer: { encode(value: unknown): string; decode(text: string): unknown };
  readonly #clock: Clock;
  /** Entries read but impossible to apply, waiting to be moved to the dead stream. */
  #unreadable: Array<{ id: string; fields: Record<string, string | undefined>; reason: string }> = [];
  readonly #events = new Emitter<JournalEvents>();
  readonly #ownsClient: boolean;
  readonly #client: RedisClientType;
  #opening: Promise<void> | undefined;
  #runId = '';
  /** Cursor through this consumer's own pending list; `undefined` once the replay is done. */
  #ownCursor: string | undefined = '0';
  #claimCursor = '0-0';
  #lastClaimAt = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(options: RedisStreamJournalOptions) {
    assertKnownKeys('RedisStreamJournal', options, KNOWN);
    if ((options.url === undefined) === (options.client === undefined)) {
      throw new InvalidOptionError('RedisStreamJournal needs exactly one of `url` or `client`');
    }
    if (typeof options.stream !== 'string' || options.stream.length === 0) {
      throw new InvalidOptionError('Expected `stream` to be a non-empty string (the stream key)');
    }
    this.#stream = options.stream;
    this.#group = options.group ?? 'stratacache-write-behind';
    this.#consumer = options.consumer ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.#claimIdleMs = assertNonNegativeMs('claimIdleMs', options.claimIdleMs ?? 60_000);
    this.#claimIntervalMs = assertTtl('claimIntervalMs', options.claimIntervalMs ?? 5000);
    this.#allowEviction = options.allowEviction ?? false;
    this.#timeoutMs = assertTtl('timeoutMs', options.timeoutMs ?? 2000);
    this.#serializer = options.serializer ?? JSON_SERIALIZER;
    this.#clock = options.clock ?? systemClock;
    this.#ownsClient = options.client === undefined;
    this.#client =
      options.client ??
      (createClient({
        url: options.url as string,
        disableOfflineQueue: true,
        socket: {
          connectTimeout: this.#timeoutMs,
          reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000),
        },
      }) as unknown as RedisClientType);
    if (this.#ownsClient) {
      // node-redis throws 'error' events with no listener; a journal reports them instead.
      this.#client.on('error', (err: unknown) => this.#events.emit('error', err));
    }
  }

  /** This process's consumer name in the group. */
  get consumer(): string {
    return this.#consumer;
  }

  on<K extends keyof JournalEvents>(name: K, listener: (...args: JournalEvents[K]) => void): () => void {
    return this.#events.on(name, listener);
  }

  open(): Promise<void> {
    this.#opening ??= this.#open().catch((err: unknown) => {
      this.#opening = undefined;
      throw err;
    });
    return this.#opening;
  }

  async #open(): Promise<void> {
    if (!this.#client.isOpen) await this.#bounded('connect', this.#client.connect());
    const memory = parseInfo(await this.#bounded('INFO', this.#client.info('memory')));
    const policy = memory.get('maxmemory_policy') ?? 'noeviction';
    if (policy !== 'noeviction' && !this.#allowEviction) {
      throw new StoreError(
        `Refusing the write-behind journal on a Redis with maxmemory-policy \`${policy}\`: it may evict the stream \`${this.#stream}\` and drop accepted writes. Set maxmemory-policy noeviction, or pass \`allowEviction: true\` to accept that risk`,
      );
    }
    this.#runId = await this.#serverRunId();
    await this.#ensureGroup();
  }

  async append(record: Omit<JournalRecord, 'id'>): Promise<string> {
    const fields: Record<string, string> = {
      k: record.key,
      o: record.op === 'set' ? 's' : 'd',
      n: String(record.version),
    };
    if (record.op === 'set') fields.v = this.#serializer.encode(record.value);
    return this.#bounded('XADD', this.#client.xAdd(this.#stream, '*', fields));
  }

  async read(max: number): Promise<JournalRecord[]> {
    try {
      return await this.#read(max);
    } catch (err) {
      if (!isNoGroup(err)) throw err;
      await this.#recover('nogroup');
      return this.#read(max);
    }
  }

  async #read(max: number): Promise<JournalRecord[]> {
    const records = await this.#readRecords(max);
    if (this.#unreadable.length > 0) await this.#quarantine();
    return records;
  }

  /**
   * Moves entries that cannot be applied (malformed, or a value the serializer cannot decode) to the
   * `<stream>:dead` stream with the reason, and acknowledges them: kept for inspection, never lost, and
   * never claimed again. On failure they stay pending and are tried again on the next read.
   */
  async #quarantine(): Promise<void> {
    const bad = this.#unreadable;
    this.#unreadable = [];
    const tx = this.#client.multi();
    for (const b of bad) {
      const fields: Record<string, string> = { _id: b.id, _reason: b.reason };
      for (const [k, v] of Object.entries(b.fields)) if (v !== undefined) fields[k] = v;
      tx.xAdd(`${this.#stream}:dead`, '*', fields);
    }
    const ids = bad.map((b) => b.id);
    tx.xAck(this.#stream, this.#group, ids).xDel(this.#stream, ids);
    await this.#bounded('XADD dead', tx.exec());
  }

  async #readRecords(max: number): Promise<JournalRecord[]> {
    const out: JournalRecord[] = [];
    if (this.#ownCursor !== undefined) {
      const own = await this.#readGroup(this.#ownCursor, max);
      if (own.length > 0) {
        this.#ownCursor = own[own.length - 1]!.id;
        return this.#decode(own);
      }
      this.#ownCursor = undefined;
    }
    if (this.#clock.now() - this.#lastClaimAt >= this.#claimIntervalMs) {
      const runId = await this.#serverRunId();
      if (runId !== this.#runId) {
        this.#runId = runId;
        if (await this.#ensureGroup()) this.#lost('restart');
      }
      const claimed = await this.#bounded(
        'XAUTOCLAIM',
        this.#client.xAutoClaim(
          this.#stream,
          this.#group,
          this.#consumer,
          this.#claimIdleMs,
          this.#claimCursor,
          {
            COUNT: max,
          },
        ),
      );
      this.#claimCursor = String(claimed.nextId);
      if (this.#claimCursor === '0-0') this.#lastClaimAt = this.#clock.now();
      for (const m of claimed.messages) {
        if (m !== null) out.push(...this.#decode([{ id: String(m.id), message: m.message }]));
      }
    }
    if (out.length < max) out.push(...this.#decode(await this.#readGroup('>', max - out.length)));
    return out;
  }

  async ack(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const list = [...ids];
    await this.#bounded(
      'XACK',
      this.#client.multi().xAck(this.#stream, this.#group, list).xDel(this.#stream, list).exec(),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsClient && this.#client.isOpen) {
      await this.#client.close().catch(() => this.#client.destroy());
    } else if (this.#ownsClient) {
      this.#client.destroy();
    }
  }

  async #readGroup(id: string, count: number): Promise<RawMessage[]> {
    const reply = (await this.#bounded(
      'XREADGROUP',
      this.#client.xReadGroup(this.#group, this.#consumer, { key: this.#stream, id }, { COUNT: count }),
    )) as Array<{ messages: Array<{ id: unknown; message: unknown }> }> | null;
    if (reply === null || reply.length === 0) return [];
    return reply[0]!.messages.map((m) => ({ id: String(m.id), message: m.message }));
  }

  #decode(messages: readonly RawMessage[]): JournalRecord[] {
    const out: JournalRecord[] = [];
    for (const { id, message } of messages) {
      const f = toFields(message);
      const version = Number(f.n);
      if (typeof f.k !== 'string' || (f.o !== 's' && f.o !== 'd') || !Number.isFinite(version)) {
        this.#events.emit('error', new StoreError(`Malformed journal entry ${id} in \`${this.#stream}\``));
        this.#unreadable.push({ id, fields: f, reason: 'malformed' });
        continue;
      }
      let value: unknown;
      if (f.o === 's') {
        try {
          value = this.#serializer.decode(f.v ?? '');
        } catch (err) {
          this.#events.emit(
            'error',
            new StoreError(`Undecodable value in journal entry ${id} of \`${this.#stream}\``, { cause: err }),
          );
          this.#unreadable.push({ id, fields: f, reason: 'undecodable' });
          continue;
        }
      }
      out.push({ id, key: f.k, op: f.o === 's' ? 'set' : 'delete', value, version });
    }
    return out;
  }

  /** Creates the group (and the stream) if missing; true when it had to be created. */
  async #ensureGroup(): Promise<boolean> {
    try {
      await this.#bounded(
        'XGROUP CREATE',
        this.#client.xGroupCreate(this.#stream, this.#group, '0', { MKSTREAM: true }),
      );
      return true;
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('BUSYGROUP')) return false;
      throw err;
    }
  }

  async #recover(reason: 'nogroup' | 'restart'): Promise<void> {
    this.#runId = await this.#serverRunId();
    await this.#ensureGroup();
    this.#lost(reason);
  }

  #lost(reason: 'nogroup' | 'restart'): void {
    this.#ownCursor = '0';
    this.#claimCursor = '0-0';
    this.#events.emit('lost', { reason, stream: this.#stream });
  }

  async #serverRunId(): Promise<string> {
    const server = parseInfo(await this.#bounded('INFO', this.#client.info('server')));
    return server.get('run_id') ?? '';
  }

  #bounded<R>(operation: string, promise: Promise<R>): Promise<R> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreTimeoutError(operation, this.#timeoutMs)), this.#timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}

function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}

function toFields(message: unknown): Record<string, string | undefined> {
  if (message instanceof Map) return Object.fromEntries([...message].map(([k, v]) => [String(k), String(v)]));
  if (Array.isArray(message)) {
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < message.length; i += 2) out[String(message[i])] = String(message[i + 1]);
    return out;
  }
  if (typeof message === 'object' && message !== null) {
    return Object.fromEntries(Object.entries(message).map(([k, v]) => [k, String(v)]));
  }
  return {};
}

function isNoGroup(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOGROUP');
}
