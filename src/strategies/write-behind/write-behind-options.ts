/**
 * The public options, events and stats of a write-behind queue, and the validation that turns options
 * into the settings the queue runs on (kept apart from the queue's scheduling logic).
 */
import { InvalidOptionError } from '../../errors.js';
import {
  assertFraction,
  assertKnownKeys,
  assertNonNegativeMs,
  assertPositiveInt,
  assertTtl,
  describe,
} from '../../internal/asserts.js';
import { type Clock, systemClock } from '../../ttl/clock.js';
import type { RetryOptions, RetryPolicy } from './backoff.js';
import type { JournalLoss, WriteJournal } from './journal.js';

/** What a batch call receives besides its entries: the journal ids and per-key versions, aligned. */
export interface WriteBatchInfo {
  /** The journal id (or a process-local id without a journal) of each entry. */
  readonly ids: readonly string[];
  /** The per-key version of each entry: apply an entry only if it is newer than what the source holds. */
  readonly versions: readonly number[];
}

/** An entry handed to the dead-letter hook. */
export interface DeadLetter<T> {
  readonly key: string;
  readonly op: 'set' | 'delete';
  readonly value: T | undefined;
  readonly version: number;
  readonly attempts: number;
  readonly error: unknown;
}

/** Options of {@link writeBehind}. */
export interface WriteBehindOptions<T> {
  /**
   * Writes a batch of `[key, value]` entries (distinct keys) to the source, all or nothing.
   * Delivery is **at-least-once**: after a crash, a retry or a claim by a peer, an entry may arrive
   * again or after a newer one was applied elsewhere. Make it idempotent by storing the version
   * (`info.versions[i]`) with each row and updating only when the incoming version is higher, e.g.
   * `INSERT … ON CONFLICT (key) DO UPDATE SET … WHERE t.version < excluded.version`.
   */
  saveMany: (entries: Array<[key: string, value: T]>, info: WriteBatchInfo) => Promise<void>;
  /** Deletes a batch of keys from the source (same idempotency rules); required to call `delete`. */
  deleteMany?: (keys: string[], info: WriteBatchInfo) => Promise<void>;
  /** Most entries per source call; a queue holding this many distinct keys flushes at once. @default 100 */
  batchSize?: number;
  /** Longest time an accepted write waits before its batch is sent, in ms. @default 100 */
  flushIntervalMs?: number;
  /** Most writes held (queued, in flight or waiting to retry) before backpressure applies. @default 10000 */
  maxPending?: number;
  /**
   * What a write does when `maxPending` writes are held: `'wait'` for capacity (up to `maxWaitMs`, then
   * reject), or `'write-through'` (write the source, then the cache, before resolving).
   * @default 'wait'
   */
  onFull?: 'wait' | 'write-through';
  /** Longest wait for capacity under `onFull: 'wait'`, in ms. @default 30000 */
  maxWaitMs?: number;
  /** Retry policy of failed batches. */
  retry?: RetryOptions;
  /**
   * Called with an entry that failed `retry.attempts` times alone in its batch; then the entry is
   * dropped (and acknowledged in the journal). If the hook throws, the entry is dropped from memory
   * but left unacknowledged in the journal, so it is delivered again after a restart.
   */
  onDeadLetter?: (entry: DeadLetter<T>) => void | Promise<void>;
  /** A durable journal; without one the queue is memory-only and **may lose queued writes on crash**. */
  journal?: WriteJournal;
  /** TTL in ms of values written to the cache; the cache's default when omitted. */
  ttl?: number;
  /** Longest time `close()` waits for the queue to drain, in ms. @default 10000 */
  closeTimeoutMs?: number;
  /** Time source (lag, retry schedule). */
  clock?: Clock;
  /** Random source for the retry jitter, in [0, 1). */
  random?: () => number;
}

/** Counters and gauges of a write-behind queue. */
export interface WriteBehindStats {
  /** Writes accepted (including replayed journal entries). */
  queued: number;
  /** Writes merged into a queued write of the same key (last write wins). */
  coalesced: number;
  /** Entries committed to the source. */
  flushed: number;
  /** Source calls that committed a batch. */
  batches: number;
  /** Entries scheduled for another attempt after a failed batch. */
  retried: number;
  /** Entries given up on (the dead-letter hook was called). */
  deadLettered: number;
  /** Entries skipped because a newer version of their key was already queued or committed. */
  stale: number;
  /** Writes that went straight to the source because the queue was full (`onFull: 'write-through'`). */
  writeThrough: number;
  /** Writes held now (queued, in flight, waiting to retry, or journaled and not yet read back). */
  pending: number;
  /** Age in ms of the oldest held write; 0 when none. */
  lagMs: number;
  /** Failed journal calls in the background (reads, acks). */
  journalErrors: number;
  /** Journal losses detected (the journal server lost unapplied entries). */
  journalLosses: number;
}

/** Events of a {@link WriteBehind}. */
export type WriteBehindEvents<T> = {
  /** A batch committed. */
  flushed: [count: number];
  /** A failed batch's entries will be retried after `delayMs`. */
  retry: [keys: string[], attempt: number, delayMs: number, error: unknown];
  /** An entry was given up on. */
  'dead-letter': [entry: DeadLetter<T>];
  /**
   * The journal lost unapplied entries (a Redis restart without persistence). Writes of this process
   * that were journaled but not yet read back are still applied from memory (`recovered`); entries of
   * other processes that crashed meanwhile are gone.
   */
  'journal-lost': [loss: JournalLoss & { recovered: number }];
  /** A background failure (journal call, cache write, dead-letter hook). */
  error: [error: unknown];
};

/** What {@link writeBehind} returns. */
export interface WriteBehind<T> {
  /** Updates the cache and queues the source write; resolves once accepted (journaled, with a journal). */
  write(key: string, value: T): Promise<void>;
  /** Deletes from the cache and queues the source delete (needs `deleteMany`). */
  delete(key: string): Promise<void>;
  /** Resolves when every held write is committed or dead-lettered (waits out retries and backoff). */
  flush(): Promise<void>;
  /** Stops accepting, drains for up to `closeTimeoutMs`, stops timers and closes the journal. Idempotent. */
  close(): Promise<void>;
  /** A snapshot of the counters. */
  stats(): WriteBehindStats;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof WriteBehindEvents<T>>(
    name: K,
    listener: (...args: WriteBehindEvents<T>[K]) => void,
  ): () => void;
}

const KNOWN = [
  'saveMany',
  'deleteMany',
  'batchSize',
  'flushIntervalMs',
  'maxPending',
  'onFull',
  'maxWaitMs',
  'retry',
  'onDeadLetter',
  'journal',
  'ttl',
  'closeTimeoutMs',
  'clock',
  'random',
] as const;
const RETRY_KNOWN = ['attempts', 'baseDelayMs', 'maxDelayMs', 'jitter'] as const;

function resolveRetry(retry: RetryOptions | undefined): RetryPolicy {
  const r = retry ?? {};
  assertKnownKeys('retry', r, RETRY_KNOWN);
  const attempts = r.attempts ?? 8;
  if (attempts !== Number.POSITIVE_INFINITY) assertPositiveInt('retry.attempts', attempts);
  return {
    attempts,
    baseDelayMs: assertTtl('retry.baseDelayMs', r.baseDelayMs ?? 100),
    maxDelayMs: assertTtl('retry.maxDelayMs', r.maxDelayMs ?? 30_000),
    jitter: assertFraction('retry.jitter', r.jitter ?? 0.5),
  };
}

/** Validated settings of a queue, defaults applied. */
export interface WriteBehindSettings<T> {
  saveMany: WriteBehindOptions<T>['saveMany'];
  deleteMany: WriteBehindOptions<T>['deleteMany'];
  batchSize: number;
  flushIntervalMs: number;
  maxPending: number;
  onFull: 'wait' | 'write-through';
  maxWaitMs: number;
  retry: RetryPolicy;
  onDeadLetter: WriteBehindOptions<T>['onDeadLetter'];
  journal: WriteJournal | undefined;
  setOptions: { ttl?: number };
  closeTimeoutMs: number;
  clock: Clock;
  random: () => number;
}

/** Checks a queue's options (unknown keys, types, ranges) and applies the defaults. */
export function resolveWriteBehindOptions<T>(options: WriteBehindOptions<T>): WriteBehindSettings<T> {
  assertKnownKeys('writeBehind', options, KNOWN);
  if (typeof options.saveMany !== 'function') {
    throw new InvalidOptionError(`Expected \`saveMany\` to be a function, got ${describe(options.saveMany)}`);
  }
  const onFull = options.onFull ?? 'wait';
  if (onFull !== 'wait' && onFull !== 'write-through') {
    throw new InvalidOptionError(
      `Expected \`onFull\` to be 'wait' or 'write-through', got ${describe(onFull)}`,
    );
  }
  return {
    saveMany: options.saveMany,
    deleteMany: options.deleteMany,
    batchSize: assertPositiveInt('batchSize', options.batchSize ?? 100),
    flushIntervalMs: assertTtl('flushIntervalMs', options.flushIntervalMs ?? 100),
    maxPending: assertPositiveInt('maxPending', options.maxPending ?? 10_000),
    onFull,
    maxWaitMs: assertNonNegativeMs('maxWaitMs', options.maxWaitMs ?? 30_000),
    retry: resolveRetry(options.retry),
    onDeadLetter: options.onDeadLetter,
    journal: options.journal,
    setOptions: options.ttl === undefined ? {} : { ttl: assertTtl('ttl', options.ttl) },
    closeTimeoutMs: assertNonNegativeMs('closeTimeoutMs', options.closeTimeoutMs ?? 10_000),
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
  };
}
