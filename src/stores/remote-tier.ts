import { CircuitOpenError, StoreError, StoreTimeoutError, ValueTooLargeError } from '../errors.js';
import type { Clock } from '../internal/clock.js';
import { Deadlines, type Expiring } from '../internal/deadlines.js';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
import type { Store, StoreEntry } from './store.js';

/** One guarded call in flight: its own deadline queue node, and what settles its promise. */
class TierCall implements Expiring {
  done = false;
  at = 0;
  next: Expiring | undefined = undefined;
  resolve!: (value: unknown) => void;
  readonly #onExpire: (call: TierCall) => void;
  readonly operation: string;
  readonly fallback: unknown;
  readonly timeoutMs: number;
  readonly timeoutFallback: unknown;

  constructor(
    onExpire: (call: TierCall) => void,
    operation: string,
    fallback: unknown,
    timeoutMs: number,
    timeoutFallback: unknown,
  ) {
    this.#onExpire = onExpire;
    this.operation = operation;
    this.fallback = fallback;
    this.timeoutMs = timeoutMs;
    this.timeoutFallback = timeoutFallback;
  }

  expire(): void {
    this.#onExpire(this);
  }
}

/** How the cache guards calls to a remote tier. */
export interface RemoteTierOptions {
  /** Per-operation timeout in ms; a call that takes longer counts as failed. @default 100 */
  timeoutMs: number;
  breaker: Required<CircuitBreakerOptions>;
}

/**
 * A remote store behind a per-operation timeout and a circuit breaker. Every method resolves: failures
 * become a fallback result (a miss, false, 0) and are reported through `onError`, so **an L2 outage never
 * fails a read**.
 */
export class RemoteTier {
  readonly store: Store;
  readonly #timeoutMs: number;
  readonly #breaker: CircuitBreaker;
  readonly #onError: (error: StoreError, operation: string) => void;
  readonly #queues = new Map<number, Deadlines>();

  constructor(
    store: Store,
    options: RemoteTierOptions,
    clock: Clock,
    onError: (e: StoreError, op: string) => void,
  ) {
    this.store = store;
    this.#timeoutMs = options.timeoutMs;
    this.#breaker = new CircuitBreaker(options.breaker, clock);
    this.#onError = onError;
  }

  get circuitOpen(): boolean {
    return this.#breaker.open;
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
    if (this.#refused(operation)) return Promise.resolve(fallback);
    let pending: Promise<T>;
    try {
      pending = fn(this.store);
    } catch (err) {
      pending = Promise.reject(err);
    }
    return this.#guard(operation, fallback, pending, timeoutMs, timeoutFallback);
  }

  /** True (and reported) when the open breaker refuses a call. */
  #refused(operation: string): boolean {
    if (this.#breaker.allow()) return false;
    this.#onError(new CircuitOpenError(this.store.name), operation);
    return true;
  }

  /** Bounds and watches `pending`, a call already made to the store. */
  #guard<T>(
    operation: string,
    fallback: T,
    pending: Promise<T>,
    timeoutMs: number,
    timeoutFallback: T,
  ): Promise<T> {
    const call = new TierCall(this.#expired, operation, fallback, timeoutMs, timeoutFallback);
    const settled = new Promise<T>((resolve) => {
      call.resolve = resolve as (value: unknown) => void;
    });
    this.#deadlines(timeoutMs).add(call);
    pending.then(
      (value) => this.#succeeded(call, value),
      (err: unknown) => this.#failed(call, err),
    );
    return settled;
  }

  #succeeded(call: TierCall, value: unknown): void {
    if (call.done) return;
    call.done = true;
    this.#breaker.success();
    call.resolve(value);
  }

  #failed(call: TierCall, err: unknown): void {
    if (call.done) return;
    call.done = true;
    // A value the store refuses (too large) says nothing about the server's health.
    if (err instanceof ValueTooLargeError) this.#breaker.success();
    else this.#breaker.failure();
    this.#onError(
      err instanceof StoreError || err instanceof ValueTooLargeError
        ? err
        : new StoreError(`${this.store.name}.${call.operation} failed`, { cause: err }),
      call.operation,
    );
    call.resolve(call.fallback);
  }

  /** A call hit its timeout: its outcome is unknown, it counts as failed and resolves its timeout fallback. */
  readonly #expired = (call: TierCall): void => {
    this.#breaker.failure();
    this.#onError(
      new StoreTimeoutError(`${this.store.name}.${call.operation}`, call.timeoutMs),
      call.operation,
    );
    call.resolve(call.timeoutFallback);
  };

  /** One deadline queue per distinct timeout (the default, and the longer one of slow operations). */
  #deadlines(ms: number): Deadlines {
    let queue = this.#queues.get(ms);
    if (queue === undefined) {
      queue = new Deadlines(ms);
      this.#queues.set(ms, queue);
    }
    return queue;
  }

  get(key: string): Promise<Uint8Array | undefined> {
    // `call` without the closure: this is the hot path of L2 reads.
    if (this.#refused('get')) return Promise.resolve(undefined);
    let pending: Promise<Uint8Array | undefined>;
    try {
      pending = this.store.get(key);
    } catch (err) {
      pending = Promise.reject(err);
    }
    return this.#guard('get', undefined, pending, this.#timeoutMs, undefined);
  }

  getMany(keys: readonly string[]): Promise<Array<Uint8Array | undefined>> {
    return this.call('getMany', new Array<undefined>(keys.length).fill(undefined), (s) => s.getMany(keys));
  }

  /** Resolves true when the write reached the store. */
  set(key: string, value: Uint8Array, ttlMs: number | undefined): Promise<boolean> {
    return this.call('set', false, (s) => s.set(key, value, ttlMs).then(() => true));
  }

  setMany(entries: readonly StoreEntry[]): Promise<boolean> {
    return this.call('setMany', false, (s) => s.setMany(entries).then(() => true));
  }

  delete(key: string): Promise<boolean> {
    return this.call('delete', false, (s) => s.delete(key));
  }

  deleteMany(keys: readonly string[]): Promise<number> {
    return this.call('deleteMany', 0, (s) => s.deleteMany(keys));
  }

  touch(key: string, ttlMs: number): Promise<boolean> {
    return this.call('touch', false, (s) => s.touch(key, ttlMs));
  }
}
