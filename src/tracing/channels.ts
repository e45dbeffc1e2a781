/**
 * The cache's `node:diagnostics_channel` TracingChannels. Nothing here runs unless someone subscribes:
 * each public call checks its channel's `hasSubscribers` once, and only a traced call opens a scope
 * (an AsyncLocalStorage) in which the read and write paths note what happened (the tier that answered,
 * hit or miss, a stale serve, the encoded size).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type TracingChannel, tracingChannel } from 'node:diagnostics_channel';

/** The operations traced; each is the channel `stratacache:<operation>`. */
export type TracedOperation = 'get' | 'getOrSet' | 'set' | 'delete' | 'load' | 'invalidate' | 'l2';

/**
 * The context object published on every event of one traced call (`start`, `end`, `asyncStart`,
 * `asyncEnd`, `error`). Fields marked "filled" are written while the call runs and are complete at
 * `asyncEnd`; `result` and `error` are set by `diagnostics_channel` itself.
 */
export interface CacheTraceContext {
  readonly operation: TracedOperation;
  /**
   * The keys of the call as the caller passed them (one for single-key calls, none for `invalidate`);
   * for `l2`, the store keys (prefix and namespace included).
   */
  readonly keys: readonly string[];
  /** The namespace path of a `cache.namespace(…)` view, else undefined. */
  readonly namespace: string | undefined;
  /** `invalidate`: `'tags'`, `'pattern'`, `'namespace'` or `'clear'`, and the tags or the glob. */
  readonly kind?: 'tags' | 'pattern' | 'namespace' | 'clear' | undefined;
  readonly targets?: readonly string[] | undefined;
  /** `l2`: the store's name and the tier operation (`get`, `getMany`, `set`, `delete`, …). */
  readonly store?: string;
  readonly command?: string;
  /** `set`/`getOrSet`: the ttl the caller passed (ms), if any. */
  readonly ttl?: number | undefined;
  /** Filled: keys served fresh, and keys that missed (a stale serve counts as a miss). */
  hits: number;
  misses: number;
  /** Filled: the tier that answered the first hit. */
  tier?: 'l1' | 'l2';
  /** Filled: why a stale value was served, when one was. */
  stale?: StaleReason;
  /** Filled: the envelope bytes written (`set`, a `getOrSet` that stored its loader's value) or read (`l2`). */
  size?: number;
  result?: unknown;
  error?: unknown;
  /**
   * A `start` subscriber may set this to run the operation inside its own async context (the
   * OpenTelemetry bridge does, so that the loader's and the Redis client's spans nest under the cache's).
   */
  bind?: <R>(run: () => R) => R;
}

/** Why a stale value was served (the `stale` event's reasons). */
export type StaleReason = 'swr' | 'fail-safe' | 'soft-timeout' | 'lock-wait';

type Channel = TracingChannel<unknown, CacheTraceContext>;

function channel(op: TracedOperation): Channel {
  return tracingChannel<unknown, CacheTraceContext>(`stratacache:${op}`);
}

export const TRACE = {
  get: channel('get'),
  getOrSet: channel('getOrSet'),
  set: channel('set'),
  delete: channel('delete'),
  load: channel('load'),
  invalidate: channel('invalidate'),
  l2: channel('l2'),
} as const;

/** The channel names, for subscribers: `diagnostics_channel.tracingChannel(TRACE_CHANNELS.get)`. */
export const TRACE_CHANNELS: Readonly<Record<TracedOperation, string>> = {
  get: 'stratacache:get',
  getOrSet: 'stratacache:getOrSet',
  set: 'stratacache:set',
  delete: 'stratacache:delete',
  load: 'stratacache:load',
  invalidate: 'stratacache:invalidate',
  l2: 'stratacache:l2',
};

/** The traced call a note belongs to. Created on the first traced call, so untraced processes never pay. */
let scope: AsyncLocalStorage<CacheTraceContext> | undefined;

/** A fresh context for a call of `operation`. */
export function traceContext(
  operation: TracedOperation,
  keys: readonly string[],
  namespace: string | undefined,
  extra?: Partial<Pick<CacheTraceContext, 'kind' | 'targets' | 'store' | 'command' | 'ttl'>>,
): CacheTraceContext {
  return { operation, keys, namespace, hits: 0, misses: 0, ...extra };
}

/** Set just before `traced` calls the public method again, so that the call runs untraced. */
let reentry = false;

/**
 * Whether the public call beginning now is to be traced (its channel has subscribers): false once for
 * the call `traced` makes itself. Public methods check `ch.hasSubscribers && tracedHere()` first thing.
 */
export function tracedHere(): boolean {
  if (!reentry) return true;
  reentry = false;
  return false;
}

/**
 * Runs `run` as the traced call `ctx` on `ch`: its events published, its notes going to `ctx`. With
 * `reenter` (public methods), `run` calls the same method again, synchronously, and that call runs
 * untraced.
 */
export function traced<R>(
  ch: Channel,
  ctx: CacheTraceContext,
  run: () => R | Promise<R>,
  reenter = true,
): Promise<R> {
  scope ??= new AsyncLocalStorage();
  const s = scope;
  const again = (): Promise<R> => {
    reentry = reenter;
    try {
      return Promise.resolve(run());
    } catch (err) {
      return Promise.reject(err);
    } finally {
      reentry = false;
    }
  };
  return ch.tracePromise(() => {
    const inScope = (): Promise<R> => s.run(ctx, again);
    return ctx.bind === undefined ? inScope() : ctx.bind(inScope);
  }, ctx);
}

/** The traced call running here, if any (cheap when nothing was ever traced). */
function current(): CacheTraceContext | undefined {
  return scope?.getStore();
}

/** The traced call of `operation` running here, if any. */
export function currentTrace(operation: TracedOperation): CacheTraceContext | undefined {
  const ctx = current();
  return ctx?.operation === operation ? ctx : undefined;
}

export function noteHit(tier: 'l1' | 'l2'): void {
  const ctx = current();
  if (ctx === undefined) return;
  ctx.hits++;
  ctx.tier ??= tier;
}

export function noteMiss(): void {
  const ctx = current();
  if (ctx !== undefined) ctx.misses++;
}

export function noteStale(reason: StaleReason): void {
  const ctx = current();
  if (ctx !== undefined) ctx.stale = reason;
}

export function noteSize(bytes: number): void {
  const ctx = current();
  if (ctx !== undefined) ctx.size = (ctx.size ?? 0) + bytes;
}
