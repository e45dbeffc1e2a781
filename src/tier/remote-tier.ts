import { AsyncResource } from 'node:async_hooks';
import {
  CircuitOpenError,
  StoreError,
  StoreReplyError,
  StoreTimeoutError,
  ValueTooLargeError,
} from '../errors.js';
import { Deadlines, type Expiring } from '../internal/deadlines.js';
import { type ReadSink, SETTLE_GET, type SettlingStore } from '../stores/settle-get.js';
import type { Store, StoreEntry } from '../stores/store.js';
import { type CacheTraceContext, currentTrace, TRACE, traceContext, traced } from '../tracing/channels.js';
import type { Clock } from '../ttl/clock.js';
import { Breakers } from './breakers.js';
import type { CircuitBreaker, CircuitBreakerOptions } from './circuit-breaker.js';

/** The tier's handlers of its calls (one set per tier). */
interface TierHandlers {
  succeeded(call: TierCall, value: unknown): void;
  failed(call: TierCall, err: unknown): void;
  expired(call: TierCall): void;
}

/** One guarded call in flight: its own deadline queue node, and the sink its outcome arrives at. */
class TierCall implements Expiring, ReadSink {
  done = false;
  at = 0;
  next: Expiring | undefined = undefined;
  /** What settles the call: the caller's callback, or the resolver of `promise`. */
  settle!: (value: unknown) => void;
  promise: Promise<unknown> | undefined = undefined;
  /** The `stratacache:l2` trace of this call, when it is traced: its error and size go there. */
  trace: CacheTraceContext | undefined = undefined;
  readonly #handlers: TierHandlers;
  /** The breaker of the server the call went to: its outcome counts there. */
  readonly breaker: CircuitBreaker;
  readonly operation: string;
  readonly fallback: unknown;
  readonly timeoutMs: number;
  readonly timeoutFallback: unknown;

  constructor(
    handlers: TierHandlers,
    breaker: CircuitBreaker,
    operation: string,
    fallback: unknown,
    timeoutMs: number,
    timeoutFallback: unknown,
  ) {
    this.#handlers = handlers;
    this.breaker = breaker;
    this.operation = operation;
    this.fallback = fallback;
    this.timeoutMs = timeoutMs;
    this.timeoutFallback = timeoutFallback;
  }

  resolve(value: unknown): void {
    this.#handlers.succeeded(this, value);
  }

  reject(err: unknown): void {
    this.#handlers.failed(this, err);
  }

  expire(): void {
    this.#handlers.expired(this);
  }
}

/** How the cache guards calls to a remote tier. */
export interface RemoteTierOptions {
  /** Per-operation timeout in ms; a call that takes longer counts as failed. @default 100 */
  timeoutMs: number;
  breaker: Required<CircuitBreakerOptions>;
}

/**
 * A remote store behind a per-operation timeout and circuit breakers (one per server the store names, see
 * {@link Breakers}). Every method resolves: failures become a fallback result (a miss, false, 0) and are
 * reported through `onError`, so **an L2 outage never fails a read**. A store that signals `onReady` has
 * its open breakers probed as soon as a connection is ready again.
 */
export class RemoteTier {
  readonly store: Store;
  readonly #timeoutMs: number;
  readonly #breakers: Breakers;
  readonly #onError: (error: StoreError, operation: string) => void;
  /** The deadline queue of the default timeout (most calls), and those of other timeouts. */
  readonly #queue: Deadlines;
  readonly #queues = new Map<number, Deadlines>();
  /** The async context timeouts are reported in: the tier's own, never that of another caller. */
  readonly #scope = new AsyncResource('stratacache.RemoteTier');

  constructor(
    store: Store,
    options: RemoteTierOptions,
    clock: Clock,
    onError: (e: StoreError, op: string) => void,
  ) {
    this.store = store;
    this.#timeoutMs = options.timeoutMs;
    this.#queue = new Deadlines(options.timeoutMs, this.#scope);
    this.#breakers = new Breakers(store, options.breaker, clock);
    this.#onError = onError;
    // A reconnected server is probed at once, not on the breaker's reset grid (the store drops the
    // listener on close).
    store.onReady?.((node) => this.#breakers.ready(node));
  }

  /** True while any breaker is open (the default one, or that of one server). */
  get circuitOpen(): boolean {
    return this.#breakers.anyOpen;
  }

  /** Whether each server's breaker is open, by server name (empty for stores that name no server). */
  circuitOpenByNode(): Record<string, boolean> {
    return this.#breakers.openByNode();
  }

  /**
   * Runs `fn` within the timeout and the breaker; resolves `fallback` on any failure (`timeoutFallback`
   * when the call timed out and its outcome is unknown).
   */
  call<T>(
    operation: string,
    fallback: T,
    fn: (store: Store) => Promise<T>,
    timeoutMs = this.#timeoutMs,
    timeoutFallback: T = fallback,
  ): Promise<T> {
    if (TRACE.l2.hasSubscribers)
      return this.#traced(operation, [], () =>
        this.#call(this.#breakers.default, operation, fallback, fn, timeoutMs, timeoutFallback),
      );
    return this.#call(this.#breakers.default, operation, fallback, fn, timeoutMs, timeoutFallback);
  }

  /** `run` as a `stratacache:l2` call of `command` on `keys`. */
  #traced<T>(command: string, keys: readonly string[], run: () => Promise<T>): Promise<T> {
    const ctx = traceContext('l2', keys, undefined, { store: this.store.name, command });
    return traced(TRACE.l2, ctx, run, false);
  }

  #call<T>(
    breaker: CircuitBreaker,
    operation: string,
    fallback: T,
    fn: (store: Store) => Promise<T>,
    timeoutMs: number,
    timeoutFallback: T,
  ): Promise<T> {
    if (this.#refused(breaker, operation)) return Promise.resolve(fallback);
    let pending: Promise<T>;
    try {
      pending = fn(this.store);
    } catch (err) {
      pending = Promise.reject(err);
    }
    const call = this.#start(breaker, operation, fallback, timeoutMs, timeoutFallback);
    follow(call, pending);
    return call.promise as Promise<T>;
  }

  /** True (and reported) when `breaker` is open and refuses a call. */
  #refused(breaker: CircuitBreaker, operation: string): boolean {
    if (breaker.allow()) return false;
    this.#onError(new CircuitOpenError(this.store.name), operation);
    return true;
  }

  /** A call with its deadline armed; its outcome goes to `settle`, or else settles `call.promise`. */
  #start(
    breaker: CircuitBreaker,
    operation: string,
    fallback: unknown,
    timeoutMs: number,
    timeoutFallback: unknown,
    settle?: (value: unknown) => void,
    startedAt?: number,
  ): TierCall {
    const call = new TierCall(this.#handlers, breaker, operation, fallback, timeoutMs, timeoutFallback);
    if (TRACE.l2.hasSubscribers) call.trace = currentTrace('l2');
    if (settle !== undefined) call.settle = settle;
    else {
      call.promise = new Promise<unknown>((resolve) => {
        call.settle = resolve;
      });
    }
    this.#deadlines(timeoutMs).add(call, startedAt);
    return call;
  }

  readonly #handlers: TierHandlers = {
    succeeded: (call, value) => {
      if (call.done) return;
      call.done = true;
      call.breaker.success();
      if (call.trace !== undefined && value instanceof Uint8Array) call.trace.size = value.length;
      call.settle(value);
    },
    failed: (call, err) => {
      if (call.done) return;
      call.done = true;
      // A value the store refuses (too large) or an error reply about the command (WRONGTYPE) says nothing
      // bad about the server's health: only transport failures count against the breaker.
      if (err instanceof ValueTooLargeError || err instanceof StoreReplyError) call.breaker.success();
      else call.breaker.failure();
      const error =
        err instanceof StoreError || err instanceof ValueTooLargeError
          ? err
          : new StoreError(`${this.store.name}.${call.operation} failed`, { cause: err });
      if (call.trace !== undefined) call.trace.error = error;
      this.#onError(error, call.operation);
      call.settle(call.fallback);
    },
    // A call hit its timeout: its outcome is unknown, it counts as failed and resolves its timeout fallback.
    // Deadlines marks the call done before it calls `expire`.
    expired: (call) => {
      call.breaker.failure();
      const error = new StoreTimeoutError(
        `${this.store.name}.${call.operation}`,
        call.timeoutMs,
        this.store.connectionError,
      );
      if (call.trace !== undefined) call.trace.error = error;
      this.#onError(error, call.operation);
      call.settle(call.timeoutFallback);
    },
  };

  /** One deadline queue per distinct timeout (the default, and the longer one of slow operations). */
  #deadlines(ms: number): Deadlines {
    if (ms === this.#timeoutMs) return this.#queue;
    let queue = this.#queues.get(ms);
    if (queue === undefined) {
      queue = new Deadlines(ms, this.#scope);
      this.#queues.set(ms, queue);
    }
    return queue;
  }

  /**
   * Reads `key` and calls `done` once, with its bytes or `undefined` (a miss, or any failure: counted and
   * reported like every call). The hot path of L2 reads: no closure, no promise of the tier's, and none of
   * the store's when it can settle the call itself. `startedAt` is the caller's `performance.now()` when it
   * read the clock just before (its timeout counts from then).
   */
  read(key: string, done: (bytes: Uint8Array | undefined) => void, startedAt?: number): void {
    if (TRACE.l2.hasSubscribers) {
      const run = (): Promise<Uint8Array | undefined> =>
        new Promise((resolve) => this.#read(key, resolve, startedAt));
      void this.#traced('get', [key], run).then(done);
      return;
    }
    this.#read(key, done, startedAt);
  }

  #read(key: string, done: (bytes: Uint8Array | undefined) => void, startedAt?: number): void {
    const breaker = this.#breakers.forKey(key);
    if (this.#refused(breaker, 'get')) {
      done(undefined);
      return;
    }
    const call = this.#start(
      breaker,
      'get',
      undefined,
      this.#timeoutMs,
      undefined,
      done as (value: unknown) => void,
      startedAt,
    );
    const settle = (this.store as Partial<SettlingStore>)[SETTLE_GET];
    if (settle !== undefined) {
      settle.call(this.store, key, call);
      return;
    }
    let pending: Promise<Uint8Array | undefined>;
    try {
      pending = this.store.get(key);
    } catch (err) {
      pending = Promise.reject(err);
    }
    follow(call, pending);
  }

  getMany(keys: readonly string[]): Promise<Array<Uint8Array | undefined>> {
    const none = new Array<undefined>(keys.length).fill(undefined);
    return this.#op('getMany', keys, none, (s) => s.getMany(keys));
  }

  /** Resolves true when the write reached the store. */
  set(key: string, value: Uint8Array, ttlMs: number | undefined): Promise<boolean> {
    return this.#op('set', [key], false, (s) => s.set(key, value, ttlMs).then(() => true));
  }

  setMany(entries: readonly StoreEntry[]): Promise<boolean> {
    const keys = entries.map((e) => e.key);
    return this.#op('setMany', keys, false, (s) => s.setMany(entries).then(() => true));
  }

  delete(key: string): Promise<boolean> {
    return this.#op('delete', [key], false, (s) => s.delete(key));
  }

  deleteMany(keys: readonly string[]): Promise<number> {
    return this.#op('deleteMany', keys, 0, (s) => s.deleteMany(keys));
  }

  touch(key: string, ttlMs: number): Promise<boolean> {
    return this.#op('touch', [key], false, (s) => s.touch(key, ttlMs));
  }

  /** A call of the default timeout on `keys`, traced as such when `stratacache:l2` has subscribers. */
  #op<T>(
    operation: string,
    keys: readonly string[],
    fallback: T,
    fn: (store: Store) => Promise<T>,
  ): Promise<T> {
    const t = this.#timeoutMs;
    const breaker = this.#breakers.forKeys(keys);
    if (TRACE.l2.hasSubscribers)
      return this.#traced(operation, keys, () => this.#call(breaker, operation, fallback, fn, t, fallback));
    return this.#call(breaker, operation, fallback, fn, t, fallback);
  }
}

/** Settles `call` with the outcome of `pending`. */
function follow(call: TierCall, pending: Promise<unknown>): void {
  pending.then(
    (value) => call.resolve(value),
    (err: unknown) => call.reject(err),
  );
}
