import { AsyncResource } from 'node:async_hooks';

/**
 * Per-call timeouts without a timer per call. Calls started with the same timeout expire in the order
 * they started, so one timer armed for the oldest pending deadline serves them all: starting a call is
 * a push, settling it is a flag. Expiry waits one event-loop turn (`setImmediate`) so that, after a
 * stalled loop, replies already waiting on a socket are read before their calls are declared late.
 */
export interface Deadline {
  /** True once the call settled or expired; settle a call by setting it. */
  done: boolean;
}

/**
 * A call that is its own queue node (no allocation besides the call itself): {@link Deadlines.add} fills
 * `at` and `next`, and calls `expire()` when the call is late.
 */
export interface Expiring extends Deadline {
  at: number;
  next: Expiring | undefined;
  expire(): void;
}

export class Deadlines {
  readonly #ms: number;
  #head: Expiring | undefined;
  #tail: Expiring | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #sweep: () => void;

  /**
   * `scope` is the async context expiries run in (default: the one this queue is made in), never that of
   * whichever call armed the timer: one caller's AsyncLocalStorage store must not leak into another's
   * timeout.
   */
  constructor(ms: number, scope: AsyncResource = new AsyncResource('stratacache.Deadlines')) {
    this.#ms = ms;
    this.#sweep = scope.bind(() => this.#expire());
  }

  /** Calls `expire` about `ms` from now unless the returned deadline is marked `done` first. */
  start(expire: () => void): Deadline {
    const p: Expiring = { done: false, at: 0, expire, next: undefined };
    this.add(p);
    return p;
  }

  /**
   * Calls `call.expire()` about `ms` after `now` (the caller's `performance.now()`) unless `call.done` is
   * set first. Settled calls at the head are dropped first: calls mostly settle in start order, so the
   * queue stays as short as the number of calls in flight and a settled call dies young (cheap for the
   * garbage collector).
   */
  add(call: Expiring, now = performance.now()): void {
    let head = this.#head;
    while (head?.done) {
      const next: Expiring | undefined = head.next;
      head.next = undefined;
      head = next;
    }
    this.#head = head;
    call.at = now + this.#ms;
    call.next = undefined;
    if (head === undefined) this.#head = call;
    else this.#tail!.next = call;
    this.#tail = call;
    if (this.#timer === undefined) this.#arm(this.#ms);
  }

  #arm(delay: number): void {
    this.#timer = setTimeout(this.#sweep, Math.max(1, delay));
    this.#timer.unref();
  }

  #expire(): void {
    this.#timer = undefined;
    const now = performance.now();
    const expired: Expiring[] = [];
    let p = this.#head;
    while (p !== undefined && (p.done || p.at <= now)) {
      if (!p.done) expired.push(p);
      const next: Expiring | undefined = p.next;
      p.next = undefined;
      p = next;
    }
    this.#head = p;
    if (p === undefined) this.#tail = undefined;
    else this.#arm(p.at - now);
    if (expired.length > 0) {
      setImmediate(() => {
        for (const e of expired) {
          if (e.done) continue;
          e.done = true;
          e.expire();
        }
      });
    }
  }
}
