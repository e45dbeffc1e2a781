/**
 * The state one `Cache` and its namespaces share, and the small helpers every pipeline uses (background
 * tracking, bus announcements, events). The pipelines are functions over this object: the read path
 * (`read-path.ts`), the write path (`write-path.ts`), the load coordinator and the lease (`stampede/`),
 * bus dispatch (`invalidation/bus-dispatch.ts`) and the stats snapshot (`metrics/snapshot.ts`).
 */
import { randomUUID } from 'node:crypto';
import { StoreError } from '../errors.js';
import { Emitter, type Payloads } from '../internal/emitter.js';
import type { Entry } from '../internal/entry.js';
import type { Glob } from '../internal/glob.js';
import { SyncedNumbers } from '../invalidation/synced-numbers.js';
import { TagIndex } from '../invalidation/tags.js';
import { StatsRecorder } from '../metrics/stats.js';
import type { LoaderTimeouts, ResolvedOptions, WritePolicy } from '../options.js';
import type { Load } from '../stampede/load.js';
import { SingleFlight } from '../stampede/single-flight.js';
import type { Bus, BusMessage } from '../stores/bus.js';
import type { DistributedLock } from '../stores/lock.js';
import { MemoryStore } from '../stores/memory/memory-store.js';
import { RemoteTier } from '../tier/remote-tier.js';
import { noteStale } from '../tracing/channels.js';
import type { State } from '../ttl/freshness.js';
import type { CacheEvents } from './events.js';

/** A live entry and the tier it came from. */
export type Found = { entry: Entry; state: State; tier: 'l1' | 'l2' };
export type L2Found = { entry: Entry; state: State; tier: 'l2' };
/** What an L2 read settles with: a rejected promise if admitting the entry threw. */
export type L2Result = L2Found | undefined | Promise<L2Found | undefined>;
/** Gets an L2 read's result. */
export type L2Waiter = (result: L2Result) => void;
/**
 * A key's L2 read record, reused by its next reads: the key (and its L2 form), whether a read is in flight,
 * its waiters (the first in a field, so a lone reader allocates no array), how many of them count a miss
 * if it finds nothing, and the callback the tier answers (see `readL2`).
 */
export type L2Read = {
  lk: string;
  version: string | undefined;
  key: string;
  inFlight: boolean;
  misses: number;
  first: L2Waiter | undefined;
  more: L2Waiter[] | undefined;
  deliver: (bytes: Uint8Array | undefined) => void;
};

/** What an entry written by a call carries besides its value. */
export interface Meta {
  tags: readonly string[] | undefined;
  version: string | undefined;
}

/** The options of one call, resolved against the cache's (built once for calls without options). */
export interface CallPolicy {
  write: WritePolicy;
  meta: Meta;
  beta: number | undefined;
  timeouts: LoaderTimeouts;
  errorTtl: number;
}

export interface Core {
  o: ResolvedOptions;
  l1: MemoryStore<Entry> | undefined;
  /** `l1.clone`: values are copied into L1 and out of it (see `copied` in entries.ts). */
  clone: boolean;
  l2: RemoteTier | undefined;
  stats: StatsRecorder;
  events: Emitter<Payloads<CacheEvents>>;
  flights: SingleFlight<unknown, Load>;
  /** L2 reads in flight by key (and version). */
  reads: Map<string, L2Read>;
  tags: TagIndex;
  generations: SyncedNumbers;
  /** Pattern invalidations for L2 stores that cannot scan, checked on L2 reads. */
  patterns: Array<{ glob: Glob; at: number }>;
  cachedErrors: Map<string, { error: unknown; until: number }>;
  /** `wrap()` names per namespace and the function that holds each. */
  wrapNames: Map<string, unknown>;
  bus: Bus | undefined;
  lock: DistributedLock | undefined;
  id: string;
  background: Set<Promise<unknown>>;
  /** Keys whose background refresh failed, and when one may be tried again. */
  refreshBackoff: Map<string, number>;
  /** xorshift32 state that picks the fast-path hits whose latency is sampled (see `Cache#drawSampleGap`). */
  sampleState: number;
  /** Fast-path calls until the next timed one (see `Cache#sampled`). */
  sampleCountdown: number;
  /** Fast-path hits since the last timed one: the weight it is recorded with. */
  fastHits: number;
  /** The policy of calls without options (built once). */
  defaultPolicy: CallPolicy;
  closed: boolean;
}

export const NO_META: Meta = Object.freeze({ tags: undefined, version: undefined });

export const noop = (): void => {};

/** The shared state of a new root cache: its tiers, counters, indexes, bus and lock. */
export function createCore(o: ResolvedOptions): Core {
  const stats = new StatsRecorder();
  const events = new Emitter<Payloads<CacheEvents>>();
  const onError = (error: Error, operation: string, key?: string): void => {
    if (error instanceof StoreError) stats.l2Errors++;
    emitError(events, error, operation, key);
  };
  const l2 =
    o.l2 === undefined
      ? undefined
      : new RemoteTier(o.l2, { timeoutMs: o.l2Timeout, breaker: o.breaker }, o.clock, onError);
  const meta = `__sc_meta:${o.prefix}`;
  return {
    o,
    l1: createL1(o, events),
    clone: o.l1 !== false && o.l1.clone,
    l2,
    stats,
    events,
    flights: new SingleFlight(),
    reads: new Map(),
    tags: new TagIndex(new SyncedNumbers(l2, `${meta}tag:`, o.clock, o.syncInterval, 'floor')),
    generations: new SyncedNumbers(l2, `${meta}gen:`, o.clock, o.syncInterval),
    patterns: [],
    cachedErrors: new Map(),
    wrapNames: new Map(),
    bus: o.bus === false ? undefined : o.bus === true ? o.l2!.createBus!(`__sc_bus:${o.prefix}`) : o.bus,
    lock: o.stampede.distributed ? o.l2!.createLock!(`__sc_lock:${o.prefix}`) : undefined,
    id: randomUUID(),
    background: new Set(),
    refreshBackoff: new Map(),
    // Seeded per instance (never 0, xorshift's fixed point), so caches do not all time the same calls.
    sampleState: Math.floor(Math.random() * 0xffffffff) | 1,
    sampleCountdown: 1,
    fastHits: 0,
    defaultPolicy: { write: o.write, meta: NO_META, beta: o.beta, timeouts: o.timeouts, errorTtl: 0 },
    closed: false,
  };
}

function createL1(o: ResolvedOptions, events: Core['events']): MemoryStore<Entry> | undefined {
  if (o.l1 === false) return undefined;
  const { sizeOf } = o.l1;
  return new MemoryStore<Entry>({
    maxEntries: o.l1.maxEntries,
    ...(o.l1.maxBytes === undefined ? {} : { maxBytes: o.l1.maxBytes }),
    ...(o.l1.maxEntryBytes === undefined ? {} : { maxEntryBytes: o.l1.maxEntryBytes }),
    ...(sizeOf === undefined ? {} : { sizeOf: (e: Entry, k: string) => sizeOf(e.value, k) }),
    clock: o.clock,
    onEvict: (key, _entry, reason) => {
      if (events.listening.evict) events.emit('evict', { key, reason });
    },
  });
}

/** A creation stamp later than any local tag invalidation that happened before it. */
export function stamp(c: Core): number {
  const now = c.o.clock.now();
  const last = c.tags.lastLocalInvalidation;
  return now > last ? now : last + 0.001;
}

/** Keeps a background promise until it settles, so `close()` can wait for it. */
export function track(c: Core, p: Promise<unknown>): void {
  const bg = c.background;
  bg.add(p);
  p.finally(() => bg.delete(p)).catch(noop);
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Announces a change to other instances (never throws: a failed publish is an `error` event). */
export function publish(
  c: Core,
  message: DistributiveOmit<BusMessage, 'v' | 'from' | 'ts'> & { ts?: number },
): void {
  if (c.bus === undefined) return;
  const full = { v: 1, ts: c.o.clock.now(), ...message, from: c.id } as BusMessage;
  track(
    c,
    c.bus.publish(full).catch((err: unknown) => emitError(c.events, toError(err), 'bus.publish')),
  );
}

export function emitError(events: Core['events'], error: Error, operation: string, key?: string): void {
  if (events.listening.error)
    events.emit('error', key === undefined ? { error, operation } : { error, operation, key });
}

export function emitStale(c: Core, lk: string, reason: CacheEvents['stale']['reason']): void {
  if (c.events.listening.stale) c.events.emit('stale', { key: lk, reason });
  noteStale(reason);
}

export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
