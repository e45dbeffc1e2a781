/**
 * Over 400 lines: one state machine (pending slots, in-flight batch, retry groups, journal replay and
 * acknowledgement, capacity waiters) whose methods all touch the same private fields; split further, each
 * part would need the whole state passed in. Options and their validation are in write-behind-options.ts.
 */
import { CacheError, ClosedError, InvalidOptionError } from '../../errors.js';
import { describe } from '../../internal/asserts.js';
import { Emitter } from '../../internal/emitter.js';
import { type Clock, type ClockTimer, runAfter, runEvery } from '../../ttl/clock.js';
import type { CachePort } from '../cache-port.js';
import { backoffDelay, type RetryPolicy } from './backoff.js';
import type { JournalLoss, JournalRecord, WriteJournal } from './journal.js';
import {
  type DeadLetter,
  resolveWriteBehindOptions,
  type WriteBehind,
  type WriteBehindEvents,
  type WriteBehindOptions,
  type WriteBehindStats,
} from './write-behind-options.js';

export type {
  DeadLetter,
  WriteBatchInfo,
  WriteBehind,
  WriteBehindEvents,
  WriteBehindOptions,
  WriteBehindStats,
} from './write-behind-options.js';

interface Entry<T> {
  key: string;
  op: 'set' | 'delete';
  value: T | undefined;
  version: number;
  /** Journal ids to acknowledge once this entry commits (its own and those it superseded). */
  ids: string[];
  /** Failed attempts while alone in its batch (what `retry.attempts` bounds). */
  attempts: number;
  /** Failed attempts in any batch (what the backoff grows with). */
  failures: number;
  /** When the oldest write merged into this entry was accepted (for the lag). */
  since: number;
}

interface RetryGroup<T> {
  entries: Entry<T>[];
  notBefore: number;
}

/** How many committed versions per key are remembered to skip stale replays before asking the source. */
const COMMITTED_MEMORY = 10_000;

let lastVersion = 0;

/**
 * The next per-key version: wall-clock microseconds, strictly increasing within the process. Across
 * processes versions order by clock, which is last-write-wins.
 */
function nextVersion(clock: Clock): number {
  lastVersion = Math.max(Math.floor(clock.now() * 1000), lastVersion + 1);
  return lastVersion;
}

/**
 * A write-behind queue: the cache is updated at once and the source later, in batches.
 *
 * - **Coalescing**: writes of one key wait in one slot; a newer write replaces the older (last write
 *   wins), so N writes of a hot key cost one source row per batch. Per key, writes reach the source in
 *   the order they were accepted: a key never has two batches in flight, and a key waiting to retry
 *   holds back its newer writes (which keep coalescing) instead of overtaking it.
 * - **Batches** are sent when `batchSize` distinct keys are queued, or `flushIntervalMs` after the first
 *   write, one source call at a time.
 * - **Retries**: a failed batch is split in halves, each retried after an exponential backoff with
 *   jitter, so one poison entry ends up alone and cannot hold back its neighbours; an entry that failed
 *   `retry.attempts` times alone is dead-lettered. Choose attempts × `maxDelayMs` to outlast the source
 *   outages you want to ride out.
 * - **Backpressure**: `maxPending` bounds held writes; then writes wait or go write-through (`onFull`).
 * - **Durability**: with a `journal`, `write()` resolves only once the entry is journaled, entries are
 *   acknowledged only after the source committed them, and unacknowledged entries (this process's after
 *   a crash, or a crashed peer's) are replayed; versions let replays of older writes be skipped.
 *   Without a journal, queued writes **may be lost on crash**.
 * - **Shutdown**: call `close()` (it drains), e.g. from a SIGTERM handler — see `closeOnSignal`.
 */
export class WriteBehindQueue<T> implements WriteBehind<T> {
  readonly #cache: CachePort;
  readonly #saveMany: WriteBehindOptions<T>['saveMany'];
  readonly #deleteMany: WriteBehindOptions<T>['deleteMany'];
  readonly #batchSize: number;
  readonly #flushIntervalMs: number;
  readonly #maxPending: number;
  readonly #onFull: 'wait' | 'write-through';
  readonly #maxWaitMs: number;
  readonly #retry: RetryPolicy;
  readonly #onDeadLetter: WriteBehindOptions<T>['onDeadLetter'];
  readonly #journal: WriteJournal | undefined;
  readonly #setOptions: { ttl?: number };
  readonly #closeTimeoutMs: number;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #events = new Emitter<WriteBehindEvents<T>>();
  readonly #stats = {
    queued: 0,
    coalesced: 0,
    flushed: 0,
    batches: 0,
    retried: 0,
    deadLettered: 0,
    stale: 0,
    writeThrough: 0,
    journalErrors: 0,
    journalLosses: 0,
  };

  readonly #pending = new Map<string, Entry<T>>();
  readonly #retries: RetryGroup<T>[] = [];
  #inFlight: Entry<T>[] = [];
  /** Highest version held per key (queued, in flight or retrying). */
  readonly #held = new Map<string, number>();
  /** Last committed version of recently committed keys (insertion-ordered, bounded). */
  readonly #committed = new Map<string, number>();
  /** Own entries journaled but not yet read back from the journal, by id. */
  readonly #journaled = new Map<string, JournalRecord & { since: number }>();
  #retrying = 0;
  #localId = 0;
  #running = false;
  #timer: ClockTimer | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  readonly #poll: ClockTimer | undefined;
  #capacityWaiters: Array<() => void> = [];
  #drainWaiters: Array<() => void> = [];
  #closed = false;
  #stopped = false;
  #closing: Promise<void> | undefined;

  constructor(cache: CachePort, options: WriteBehindOptions<T>) {
    const o = resolveWriteBehindOptions(options);
    this.#cache = cache;
    this.#saveMany = o.saveMany;
    this.#deleteMany = o.deleteMany;
    this.#batchSize = o.batchSize;
    this.#flushIntervalMs = o.flushIntervalMs;
    this.#maxPending = o.maxPending;
    this.#onFull = o.onFull;
    this.#maxWaitMs = o.maxWaitMs;
    this.#retry = o.retry;
    this.#onDeadLetter = o.onDeadLetter;
    this.#journal = o.journal;
    this.#setOptions = o.setOptions;
    this.#closeTimeoutMs = o.closeTimeoutMs;
    this.#clock = o.clock;
    this.#random = o.random;
    if (this.#journal !== undefined) {
      const journal = this.#journal;
      journal.on('lost', (loss) => this.#onJournalLost(loss));
      journal.on('error', (err) => {
        this.#stats.journalErrors++;
        this.#events.emit('error', err);
      });
      // The replay starts at once; if the journal cannot open, writes reject and the poll retries it.
      journal.open().then(
        () => this.#kick(),
        (err: unknown) => this.#events.emit('error', err),
      );
      this.#poll = runEvery(this.#clock, this.#flushIntervalMs, () => this.#kick(), true);
    }
  }

  on<K extends keyof WriteBehindEvents<T>>(
    name: K,
    listener: (...args: WriteBehindEvents<T>[K]) => void,
  ): () => void {
    return this.#events.on(name, listener);
  }

  write(key: string, value: T): Promise<void> {
    return this.#accept(key, 'set', value);
  }

  delete(key: string): Promise<void> {
    if (this.#deleteMany === undefined) {
      return Promise.reject(new InvalidOptionError('writeBehind: `delete` needs the `deleteMany` option'));
    }
    return this.#accept(key, 'delete', undefined);
  }

  flush(): Promise<void> {
    this.#kick();
    if (this.#count() === 0 && !this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  stats(): WriteBehindStats {
    const now = this.#clock.now();
    let oldest = now;
    for (const e of this.#pending.values()) oldest = Math.min(oldest, e.since);
    for (const e of this.#inFlight) oldest = Math.min(oldest, e.since);
    for (const g of this.#retries) for (const e of g.entries) oldest = Math.min(oldest, e.since);
    for (const r of this.#journaled.values()) oldest = Math.min(oldest, r.since);
    return { ...this.#stats, pending: this.#count(), lagMs: now - oldest };
  }

  async #close(): Promise<void> {
    this.#closed = true;
    const drained = this.flush();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      drained.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.#closeTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.#poll?.cancel();
    this.#clearTimer();
    if (timedOut) {
      const held = this.#count();
      this.#events.emit(
        'error',
        new CacheError(
          `writeBehind closed with ${held} write(s) not committed after ${this.#closeTimeoutMs} ms${this.#journal === undefined ? ': they are lost (no journal)' : '; they stay in the journal for a replay'}`,
        ),
      );
    }
    this.#stopped = true;
    for (const wake of this.#capacityWaiters.splice(0)) wake();
    await this.#journal?.close();
  }

  async #accept(key: string, op: 'set' | 'delete', value: T | undefined): Promise<void> {
    if (typeof key !== 'string' || key.length === 0) {
      throw new InvalidOptionError(`Expected \`key\` to be a non-empty string, got ${describe(key)}`);
    }
    if (this.#closed) throw new ClosedError('writeBehind');
    await this.#journal?.open();
    if (!this.#pending.has(key) && this.#count() >= this.#maxPending) {
      if (this.#onFull === 'write-through' && !this.#held.has(key)) {
        await this.#writeThrough(key, op, value);
        return;
      }
      await this.#waitForCapacity();
    }
    const version = nextVersion(this.#clock);
    const since = this.#clock.now();
    if (this.#journal !== undefined) {
      const id = await this.#journal.append({ key, op, value, version });
      this.#journaled.set(id, { id, key, op, value, version, since });
      await this.#updateCache(key, op, value);
      this.#stats.queued++;
      if (this.#journaled.size >= this.#batchSize) this.#kick();
      else this.#schedule(since + this.#flushIntervalMs);
      return;
    }
    await this.#updateCache(key, op, value);
    this.#stats.queued++;
    this.#enqueue({
      key,
      op,
      value,
      version,
      ids: [`local-${++this.#localId}`],
      attempts: 0,
      failures: 0,
      since,
    });
  }

  async #writeThrough(key: string, op: 'set' | 'delete', value: T | undefined): Promise<void> {
    const info = { ids: [`local-${++this.#localId}`], versions: [nextVersion(this.#clock)] };
    if (op === 'set') await this.#saveMany([[key, value as T]], info);
    else await this.#deleteMany?.([key], info);
    this.#stats.writeThrough++;
    await this.#updateCache(key, op, value);
  }

  /** Cache first for reads-your-writes; if the cache fails, drop the key rather than leave it stale. */
  async #updateCache(key: string, op: 'set' | 'delete', value: T | undefined): Promise<void> {
    try {
      if (op === 'set') await this.#cache.set(key, value as T, this.#setOptions);
      else await this.#cache.delete(key);
    } catch (err) {
      this.#events.emit('error', err);
      await this.#cache.delete(key).catch(() => undefined);
    }
  }

  #waitForCapacity(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = runAfter(this.#clock, this.#maxWaitMs, () => {
        this.#capacityWaiters = this.#capacityWaiters.filter((w) => w !== wake);
        reject(
          new CacheError(`writeBehind queue full (maxPending ${this.#maxPending}) for ${this.#maxWaitMs} ms`),
        );
      });
      const wake = (): void => {
        timer.cancel();
        if (this.#closed) reject(new ClosedError('writeBehind'));
        else resolve();
      };
      this.#capacityWaiters.push(wake);
      this.#kick();
    });
  }

  /** Adds an entry, or merges it into the queued entry of its key; skips versions already superseded. */
  #enqueue(entry: Entry<T>): void {
    const newest = Math.max(this.#held.get(entry.key) ?? 0, this.#committed.get(entry.key) ?? 0);
    if (entry.version <= newest) {
      this.#stats.stale++;
      void this.#ack(entry.ids);
      return;
    }
    this.#held.set(entry.key, entry.version);
    const queued = this.#pending.get(entry.key);
    if (queued !== undefined) {
      this.#stats.coalesced++;
      queued.op = entry.op;
      queued.value = entry.value;
      queued.version = entry.version;
      queued.ids.push(...entry.ids);
      return;
    }
    this.#pending.set(entry.key, entry);
    if (this.#pending.size >= this.#batchSize) this.#kick();
    else this.#schedule(entry.since + this.#flushIntervalMs);
  }

  #count(): number {
    return this.#pending.size + this.#inFlight.length + this.#journaled.size + this.#retrying;
  }

  #schedule(at: number): void {
    if (this.#stopped || at >= this.#timerAt) return;
    this.#clearTimer();
    this.#timerAt = at;
    this.#timer = runAfter(this.#clock, Math.max(0, at - this.#clock.now()), () => {
      this.#timerAt = Number.POSITIVE_INFINITY;
      this.#timer = undefined;
      this.#kick();
    });
  }

  #clearTimer(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #kick(): void {
    if (this.#running || this.#stopped) return;
    this.#running = true;
    void this.#run();
  }

  /** The only worker: reads the journal, then sends ready batches one at a time until none is ready. */
  async #run(): Promise<void> {
    try {
      for (;;) {
        if (this.#journal !== undefined) await this.#pull(this.#journal);
        const batch = this.#nextBatch();
        if (batch === undefined) break;
        await this.#apply(batch);
        this.#wakeCapacity();
      }
    } catch (err) {
      this.#events.emit('error', err);
    } finally {
      this.#running = false;
      this.#afterRun();
    }
  }

  #afterRun(): void {
    this.#wakeCapacity();
    const urgent = this.#closed || this.#drainWaiters.length > 0;
    if (this.#pending.size > 0) {
      let oldest = Number.POSITIVE_INFINITY;
      for (const e of this.#pending.values()) oldest = Math.min(oldest, e.since);
      this.#schedule(urgent ? this.#clock.now() : oldest + this.#flushIntervalMs);
    }
    for (const g of this.#retries) this.#schedule(g.notBefore);
    if (this.#journaled.size > 0 && urgent) this.#schedule(this.#clock.now() + this.#flushIntervalMs / 4);
    if (this.#count() === 0) for (const done of this.#drainWaiters.splice(0)) done();
  }

  #wakeCapacity(): void {
    let room = this.#maxPending - this.#count();
    while (room-- > 0 && this.#capacityWaiters.length > 0) this.#capacityWaiters.shift()?.();
  }

  async #pull(journal: WriteJournal): Promise<void> {
    const room = this.#maxPending - (this.#count() - this.#journaled.size);
    if (room <= 0) return;
    let records: JournalRecord[];
    try {
      await journal.open();
      records = await journal.read(Math.min(room, this.#batchSize * 10));
    } catch (err) {
      this.#stats.journalErrors++;
      this.#events.emit('error', err);
      return;
    }
    const now = this.#clock.now();
    for (const r of records) {
      const own = this.#journaled.get(r.id);
      if (own !== undefined) this.#journaled.delete(r.id);
      else this.#stats.queued++;
      const value = r.value as T | undefined;
      this.#enqueue({
        key: r.key,
        op: r.op,
        value,
        version: r.version,
        ids: [r.id],
        attempts: 0,
        failures: 0,
        since: own?.since ?? now,
      });
    }
  }

  /** A retry group whose backoff elapsed, else up to `batchSize` queued keys not held back by a retry. */
  #nextBatch(): Entry<T>[] | undefined {
    const now = this.#clock.now();
    for (let i = 0; i < this.#retries.length; i++) {
      const group = this.#retries[i]!;
      if (group.notBefore > now) continue;
      this.#retries.splice(i, 1);
      this.#retrying -= group.entries.length;
      const live: Entry<T>[] = [];
      for (const e of group.entries) {
        const newer = this.#pending.get(e.key);
        if (newer === undefined) live.push(e);
        else {
          // A newer queued write supersedes the retried one; its commit acknowledges both.
          newer.ids.push(...e.ids);
          newer.since = Math.min(newer.since, e.since);
          this.#stats.coalesced++;
        }
      }
      if (live.length > 0) return live;
      i--;
    }
    const flushAll = this.#closed || this.#drainWaiters.length > 0;
    let due = this.#pending.size >= this.#batchSize || flushAll;
    if (!due) {
      for (const e of this.#pending.values()) {
        if (e.since + this.#flushIntervalMs <= now) {
          due = true;
          break;
        }
      }
    }
    if (!due) return undefined;
    const blocked = new Set<string>();
    for (const g of this.#retries) for (const e of g.entries) blocked.add(e.key);
    const batch: Entry<T>[] = [];
    for (const e of this.#pending.values()) {
      if (blocked.has(e.key)) continue;
      batch.push(e);
      if (batch.length === this.#batchSize) break;
    }
    for (const e of batch) this.#pending.delete(e.key);
    return batch.length > 0 ? batch : undefined;
  }

  async #apply(batch: Entry<T>[]): Promise<void> {
    this.#inFlight = batch;
    const sets = batch.filter((e) => e.op === 'set');
    const deletes = batch.filter((e) => e.op === 'delete');
    try {
      if (sets.length > 0) {
        await this.#saveMany(
          sets.map((e) => [e.key, e.value as T]),
          { ids: sets.map((e) => e.ids[e.ids.length - 1]!), versions: sets.map((e) => e.version) },
        );
      }
      if (deletes.length > 0) {
        await this.#deleteMany?.(
          deletes.map((e) => e.key),
          { ids: deletes.map((e) => e.ids[e.ids.length - 1]!), versions: deletes.map((e) => e.version) },
        );
      }
    } catch (err) {
      this.#inFlight = [];
      await this.#failed(batch, err);
      return;
    }
    this.#inFlight = [];
    this.#stats.flushed += batch.length;
    this.#stats.batches++;
    for (const e of batch) this.#settle(e);
    this.#events.emit('flushed', batch.length);
    await this.#ack(batch.flatMap((e) => e.ids));
  }

  async #failed(batch: Entry<T>[], err: unknown): Promise<void> {
    for (const e of batch) e.failures++;
    if (batch.length === 1 && ++batch[0]!.attempts >= this.#retry.attempts) {
      await this.#deadLetter(batch[0]!, err);
      return;
    }
    const halves =
      batch.length === 1 ? [batch] : [batch.slice(0, batch.length >> 1), batch.slice(batch.length >> 1)];
    const attempt = Math.max(...batch.map((e) => e.failures));
    for (const entries of halves) {
      const delayMs = backoffDelay(this.#retry, attempt, this.#random);
      this.#retries.push({ entries, notBefore: this.#clock.now() + delayMs });
      this.#retrying += entries.length;
      this.#stats.retried += entries.length;
      this.#events.emit(
        'retry',
        entries.map((e) => e.key),
        attempt,
        delayMs,
        err,
      );
    }
  }

  async #deadLetter(entry: Entry<T>, error: unknown): Promise<void> {
    const letter: DeadLetter<T> = {
      key: entry.key,
      op: entry.op,
      value: entry.value,
      version: entry.version,
      attempts: entry.attempts,
      error,
    };
    this.#stats.deadLettered++;
    this.#settle(entry);
    this.#events.emit('dead-letter', letter);
    try {
      await this.#onDeadLetter?.(letter);
    } catch (err) {
      this.#events.emit('error', err);
      return;
    }
    await this.#ack(entry.ids);
  }

  /** Forgets a key that left the queue (committed or dead-lettered) unless a newer write of it is held. */
  #settle(entry: Entry<T>): void {
    this.#committed.delete(entry.key);
    this.#committed.set(entry.key, entry.version);
    if (this.#committed.size > COMMITTED_MEMORY) {
      const oldest = this.#committed.keys().next().value;
      if (oldest !== undefined) this.#committed.delete(oldest);
    }
    if (this.#held.get(entry.key) === entry.version) this.#held.delete(entry.key);
  }

  async #ack(ids: readonly string[]): Promise<void> {
    if (this.#journal === undefined || ids.length === 0) return;
    try {
      await this.#journal.ack(ids);
    } catch (err) {
      // Unacknowledged entries are replayed later and skipped or re-applied idempotently by version.
      this.#stats.journalErrors++;
      this.#events.emit('error', err);
    }
  }

  #onJournalLost(loss: JournalLoss): void {
    this.#stats.journalLosses++;
    const own = [...this.#journaled.values()];
    this.#journaled.clear();
    for (const r of own) {
      this.#enqueue({
        key: r.key,
        op: r.op,
        value: r.value as T | undefined,
        version: r.version,
        ids: [r.id],
        attempts: 0,
        failures: 0,
        since: r.since,
      });
    }
    this.#events.emit('journal-lost', { ...loss, recovered: own.length });
    this.#events.emit(
      'error',
      new CacheError(
        `Write-behind journal \`${loss.stream}\` lost its unapplied entries (${loss.reason}); ${own.length} write(s) of this process recovered from memory, writes of crashed peers are gone`,
      ),
    );
  }
}

/**
 * Write-behind over a cache and a source: see {@link WriteBehindQueue} for the semantics.
 *
 * @example
 * const orders = writeBehind<Order>(cache, {
 *   saveMany: (entries, { versions }) => db.upsertOrders(entries, versions),
 *   batchSize: 200,
 *   flushIntervalMs: 50,
 *   maxPending: 50_000,
 *   retry: { attempts: 10, baseDelayMs: 100, maxDelayMs: 10_000 },
 *   journal: new RedisStreamJournal({ url: process.env.REDIS_URL, stream: 'orders:wb', consumer: podName }),
 * });
 * await orders.write('order:1', { total: 42 });
 */
export function writeBehind<T>(cache: CachePort, options: WriteBehindOptions<T>): WriteBehind<T> {
  return new WriteBehindQueue<T>(cache, options);
}
